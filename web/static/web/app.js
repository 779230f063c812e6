// The web app's behaviour: every action is a call to the REST API (session cookie + CSRF
// token), errors are the API's own messages; live updates come over /ws/. No inline script.
"use strict";

(function () {
  const $ = (selector, root = document) => root.querySelector(selector);
  let csrfToken = $('meta[name="csrf-token"]')?.content || "";

  // --- the API ----------------------------------------------------------------------------
  class ApiError extends Error {
    constructor(status, body) {
      const error = (body && body.error) || {};
      super(error.message || `The request failed (${status}).`);
      this.status = status;
      this.fields = error.fields || {};
    }
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json", "X-CSRFToken": csrfToken };
    const options = { method, headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, options);
    } catch {
      throw new ApiError(0, { error: { message: "You seem to be offline: try again." } });
    }
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, data);
    if (data && data.csrf_token) csrfToken = data.csrf_token; // signing in rotates it
    return data;
  }

  function flash(message, ok = false) {
    const element = $("#flash");
    element.textContent = message;
    element.classList.toggle("ok", ok);
    element.hidden = !message;
    if (message && !ok) element.scrollIntoView({ block: "nearest" });
  }

  function showError(error, form) {
    const fields = Object.entries(error.fields || {}).map(
      ([name, messages]) => `${name}: ${[].concat(messages).join(" ")}`,
    );
    flash([error.message, ...fields].join(" "));
    if (form) {
      for (const name of Object.keys(error.fields || {})) {
        const input = form.elements.namedItem(name);
        if (input && input.setAttribute) input.setAttribute("aria-invalid", "true");
      }
    }
  }

  // The form's fields as the API takes them: ``data-kind="list"`` is comma-separated
  // (skills), ``data-kind="array"`` collects every checked box of that name (interests).
  function formData(form) {
    const data = {};
    for (const element of form.elements) {
      if (!element.name || element.disabled) continue;
      const kind = element.dataset.kind;
      if (kind === "bool") {
        data[element.name] = element.checked;
      } else if (kind === "number") {
        data[element.name] = element.value === "" ? null : Number(element.value);
      } else if (kind === "array") {
        data[element.name] = data[element.name] || [];
        if (element.checked) data[element.name].push(element.value);
      } else if (element.type === "radio" || element.type === "checkbox") {
        if (element.checked) data[element.name] = element.value;
      } else if (kind === "list") {
        data[element.name] = element.value.split(",").map((v) => v.trim()).filter(Boolean);
      } else {
        data[element.name] = element.value;
      }
    }
    return data;
  }

  // What to do after the API said yes: "reload", or "go:/path/{id}/" ({id}: the id the
  // API answered, e.g. of what was just created).
  function then(instruction, result) {
    if (instruction === "reload") location.reload();
    else if (instruction && instruction.startsWith("go:")) {
      location.assign(instruction.slice(3).replace("{id}", result && result.id));
    }
  }

  // --- forms ------------------------------------------------------------------------------
  const FORMS = {
    "sign-in": async (form) => {
      await api("POST", "/api/v1/auth/session/", formData(form));
      location.assign(form.dataset.next || "/");
    },
    "sign-up": async (form) => {
      const data = formData(form);
      await api("POST", "/api/v1/auth/register/", data);
      await api("POST", "/api/v1/auth/session/", { email: data.email, password: data.password });
      location.assign("/me/edit/?welcome=1");
    },
    chat: async (form) => {
      const field = form.elements.namedItem("body");
      if (!field.value.trim()) return;
      const message = await api("POST", form.dataset.url, { body: field.value });
      field.value = "";
      field.focus();
      showMessage(message); // the push of it will find it there
      return "stay"; // the page goes on: the form stays usable
    },
    api: async (form) => {
      const result = await api(form.dataset.method || "POST", form.dataset.url, formData(form));
      then(form.dataset.then, result);
    },
  };

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    const action = FORMS[form.dataset.form];
    if (!action) return;
    event.preventDefault();
    if (form.dataset.sending) return; // one at a time (a second Enter while the first goes)
    const button = form.querySelector('[type="submit"]');
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    form.dataset.sending = "1";
    button.disabled = true;
    let outcome;
    try {
      outcome = await action(form);
    } catch (error) {
      showError(error, form);
      outcome = "stay";
    } finally {
      if (outcome === "stay") {
        delete form.dataset.sending;
        button.disabled = false;
      }
    }
  });

  // --- buttons ----------------------------------------------------------------------------
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-toggle], button[data-action]");
    if (!button) return;
    button.disabled = true;
    try {
      if (button.dataset.toggle) {
        const on = button.getAttribute("aria-pressed") === "true";
        const result = await api(on ? "DELETE" : "POST", button.dataset.url);
        button.setAttribute("aria-pressed", String(!on));
        button.textContent = on ? button.dataset.off : button.dataset.on;
        const followers = $("#followers-count");
        if (button.dataset.toggle === "follow" && followers && result) {
          followers.textContent = result.followers_count;
        } else if (button.dataset.toggle === "follow" && followers && on) {
          followers.textContent = Math.max(0, Number(followers.textContent) - 1);
        }
      } else if (button.dataset.action === "sign-out") {
        await api("DELETE", "/api/v1/auth/session/");
        location.assign("/");
      } else if (button.dataset.action === "read-all") {
        await api("POST", "/api/v1/notifications/read-all/");
        location.reload();
      } else if (button.dataset.action === "dismiss") {
        await api("POST", "/api/v1/interactions/", {
          kind: "dismiss",
          item_type: button.dataset.itemType,
          item_id: Number(button.dataset.itemId),
        });
        button.closest("li").remove();
        document.body.dispatchEvent(new CustomEvent("recommendations-changed"));
      } else if (button.dataset.action === "api") {
        const body = button.dataset.body ? JSON.parse(button.dataset.body) : undefined;
        const result = await api(button.dataset.method || "POST", button.dataset.url, body);
        then(button.dataset.then, result);
      }
      flash("");
    } catch (error) {
      showError(error);
    } finally {
      button.disabled = false;
    }
  });

  // --- live: the bell, the messages link, the feed, the chat -----------------------------
  function setBadge(id, count, label) {
    const badge = $(id);
    if (!badge) return;
    badge.dataset.count = String(count);
    badge.textContent = count > 99 ? "99+" : String(count);
    badge.hidden = count <= 0;
    badge.closest("a").setAttribute("aria-label", `${label}, ${count} unread`);
  }
  const badgeCount = (id) => Number($(id)?.dataset.count || 0);

  // The chat open on this page, if any.
  const chat = () => $("#chat");

  function showMessage(message) {
    const list = $("#messages");
    if (!list || list.querySelector(`[data-message-id="${message.id}"]`)) return false;
    $("#no-messages")?.remove();
    const item = document.createElement("li");
    item.className = "message" + (message.sender.id === Number(chat().dataset.me) ? " mine" : "");
    item.dataset.messageId = message.id;
    const body = document.createElement("p");
    body.className = "body";
    body.textContent = message.body; // text, never markup
    const when = document.createElement("p");
    when.className = "muted";
    when.textContent = "just now";
    item.append(body, when);
    // In id order: a resumed or late message goes where it belongs.
    const later = [...list.querySelectorAll("[data-message-id]")].find(
      (other) => Number(other.dataset.messageId) > message.id,
    );
    list.insertBefore(item, later || null);
    item.scrollIntoView({ block: "nearest" });
    return true;
  }

  function onMessage(message) {
    lastMessage = Math.max(lastMessage, message.id);
    const open = chat();
    const other = open && Number(open.dataset.other);
    const me = Number(document.body.dataset.userId);
    if (open && (message.data.sender.id === other || message.data.recipient.id === other)) {
      showMessage(message.data);
      if (message.data.recipient.id === me) {
        api("POST", `/api/v1/conversations/${other}/read/`).catch(() => {});
      }
    } else if (message.data.recipient.id === me) {
      setBadge("#messages-count", badgeCount("#messages-count") + 1, "Messages");
    }
  }

  let lastNotification = Number(document.body.dataset.lastNotification || 0);
  let lastMessage = Number(document.body.dataset.lastMessage || 0);
  let retry = 500;
  const live = { socket: null, state: "connecting" }; // for tests and the curious
  window.collabhub = live;

  function setLive(state) {
    live.state = state;
    const element = $("#chat-state");
    if (element) element.textContent = state === "live" ? "" : "Reconnecting…";
  }

  // What arrived since the page was rendered, or while the connection was down: the
  // notifications and messages after the last ones the page has. (The feed is read again.)
  function resume(socket) {
    socket.send(
      JSON.stringify({ type: "resume", after: lastNotification, messages_after: lastMessage }),
    );
  }
  let reconnecting = false;

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/ws/`);
    live.socket = socket;
    socket.addEventListener("open", () => {
      retry = 500;
      setLive("live");
      resume(socket);
      if (reconnecting) document.body.dispatchEvent(new CustomEvent("feed-changed"));
      reconnecting = true;
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === "notification") {
        if (message.id <= lastNotification) return;
        lastNotification = message.id;
        setBadge("#bell-count", badgeCount("#bell-count") + 1, "Notifications");
      } else if (message.type === "message") {
        onMessage(message);
      } else if (message.type === "feed.event") {
        document.body.dispatchEvent(new CustomEvent("feed-changed"));
      } else if (message.type === "resync") {
        resume(socket);
        document.body.dispatchEvent(new CustomEvent("feed-changed"));
      }
    });
    socket.addEventListener("close", (event) => {
      setLive("offline");
      if (event.code === 4401 || event.code === 4403) return; // signed out
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 15000);
    });
  }

  // Enter sends a chat message; Shift+Enter is a new line.
  document.addEventListener("keydown", (event) => {
    const field = event.target;
    if (event.key !== "Enter" || event.shiftKey || field.name !== "body" || !field.form) return;
    if (field.form.dataset.form !== "chat") return;
    event.preventDefault();
    field.form.requestSubmit();
  });

  // --- skills as chips ---------------------------------------------------------------------
  // An <input data-kind="list" data-chips> (comma-separated, what the API takes) shown as
  // chips: type a skill and Enter or a comma adds it (suggestions from its datalist),
  // each chip's button removes it, Backspace in the empty box removes the last one. The
  // original input stays the value the form sends (hidden).
  function chips(field) {
    const entry = document.createElement("input");
    entry.id = field.id;
    field.id = `${field.id}-value`;
    entry.setAttribute("autocomplete", "off");
    if (field.getAttribute("list")) entry.setAttribute("list", field.getAttribute("list"));
    if (field.getAttribute("aria-describedby")) {
      entry.setAttribute("aria-describedby", field.getAttribute("aria-describedby"));
    }
    entry.placeholder = "Add a skill, then Enter";
    const list = document.createElement("ul");
    list.className = "chips editable";
    list.setAttribute("aria-label", "Chosen");
    field.type = "hidden";
    field.after(list, entry);

    const values = () => field.value.split(",").map((v) => v.trim()).filter(Boolean);
    function render() {
      list.replaceChildren(
        ...values().map((value) => {
          const item = document.createElement("li");
          item.textContent = value;
          const remove = document.createElement("button");
          remove.type = "button";
          remove.textContent = "×";
          remove.setAttribute("aria-label", `Remove ${value}`);
          remove.addEventListener("click", () => {
            field.value = values().filter((v) => v !== value).join(", ");
            render();
            entry.focus();
          });
          item.append(remove);
          return item;
        }),
      );
    }
    function add(text) {
      const value = text.trim().toLowerCase();
      if (value && !values().includes(value)) field.value = [...values(), value].join(", ");
      render();
    }
    entry.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === ",") {
        event.preventDefault();
        add(entry.value);
        entry.value = "";
      } else if (event.key === "Backspace" && !entry.value && values().length) {
        field.value = values().slice(0, -1).join(", ");
        render();
      }
    });
    entry.addEventListener("input", () => {
      if (!entry.value.includes(",")) return;
      const parts = entry.value.split(",");
      entry.value = parts.pop();
      parts.forEach(add);
    });
    // What is still typed counts when the form is sent.
    field.form.addEventListener("submit", () => {
      add(entry.value);
      entry.value = "";
    }, true);
    render();
  }

  // A recommended item opened from the list counts as a view from a recommendation (the
  // click-through the experiments and the dashboard measure).
  function recordRecommendedView() {
    const params = new URLSearchParams(location.search);
    const item = document.body.dataset.item;
    if (params.get("from") !== "recommendation" || !item || !document.body.dataset.userId) return;
    const [itemType, itemId] = item.split(":");
    api("POST", "/api/v1/interactions/", {
      kind: "view",
      item_type: itemType,
      item_id: Number(itemId),
      from_recommendation: true,
    }).catch(() => {}); // a lost view is not worth an error message
    params.delete("from");
    history.replaceState(null, "", location.pathname + (params.toString() ? `?${params}` : ""));
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("input[data-chips]").forEach(chips);
    if (document.body.dataset.userId) connect();
    recordRecommendedView();
    const open = chat();
    if (open) {
      // Opening the conversation reads it.
      api("POST", `/api/v1/conversations/${open.dataset.other}/read/`)
        .then((result) => {
          const count = badgeCount("#messages-count") - ((result && result.marked_read) || 0);
          setBadge("#messages-count", Math.max(0, count), "Messages");
        })
        .catch(() => {});
      $("#messages li:last-child")?.scrollIntoView({ block: "nearest" });
    }
  });
})();
