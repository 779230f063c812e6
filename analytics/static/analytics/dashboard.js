// The live analytics dashboard: figures from the staff API, then kept current by the socket
// (metric_update, experiment_update, system_alert). No inline script, no HTML from data.
"use strict";

(function () {
  const API = "/api/v1/analytics";
  const state = {
    range: "1h",
    dashboard: null, // the last GET /dashboard/ for the range, updated in place
    experiments: new Map(), // key -> summary
    alerts: new Map(), // code -> alert
    charts: {},
    socket: null,
    retry: 500,
    reloading: null,
  };
  // For tests and the curious: what the page has received.
  window.collabhubDashboard = {
    updates: 0,
    loads: 0,
    lastDeliveryMs: null,
    totalsFrom: null, // "load" or "update": what last set the counters
    alerts: state.alerts,
  };
  let loadSequence = 0;

  const $ = (selector) => document.querySelector(selector);

  async function api(path) {
    const response = await fetch(path, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const message = body && body.error ? body.error.message : response.statusText;
      throw new Error(`${path}: ${message}`);
    }
    return body;
  }

  function showError(error) {
    const element = $("#error");
    element.textContent = error ? String(error.message || error) : "";
    element.hidden = !error;
  }

  // --- figures ----------------------------------------------------------------------------
  function format(value, kind) {
    if (value === null || value === undefined) return "–";
    if (kind === "percent") return `${(100 * value).toFixed(1)} %`;
    if (kind === "ms") return `${Math.round(value)} ms`;
    if (kind === "decimal") return value.toFixed(1);
    return value.toLocaleString("en");
  }

  function renderTotals(totals) {
    for (const element of document.querySelectorAll("[data-total]")) {
      const text = format(totals[element.dataset.total], element.dataset.format);
      if (element.textContent !== text) {
        element.textContent = text;
        element.classList.add("changed");
        setTimeout(() => element.classList.remove("changed"), 1200);
      }
    }
  }

  function label(iso) {
    const moment = new Date(iso);
    const granularity = state.dashboard.granularity;
    if (granularity === "day") return moment.toISOString().slice(5, 10);
    if (state.range === "7d") return moment.toISOString().slice(5, 13).replace("T", " ") + "h";
    return moment.toISOString().slice(11, 16);
  }

  const CHARTS = {
    activity: {
      type: "line",
      series: [
        ["signups", "Sign-ups", "#2456c9"],
        ["applications", "Applications", "#1c7c4a"],
        ["messages", "Messages", "#9a5b00"],
        ["active_users", "Active people", "#7b3fbf"],
      ],
    },
    events: { type: "bar", series: [["events", "Events", "#4a6fa5"]] },
    api: {
      type: "bar",
      series: [
        ["api_requests", "Requests", "#8aa4d6"],
        ["api_errors", "5xx", "#b3261e"],
      ],
    },
    latency: { type: "line", series: [["p95_ms", "p95 (ms)", "#b3261e"]] },
  };

  function renderCharts() {
    const series = state.dashboard.series;
    const labels = series.t.map(label);
    for (const [name, spec] of Object.entries(CHARTS)) {
      const datasets = spec.series.map(([key, title, color]) => ({
        label: title,
        data: series[key].slice(),
        borderColor: color,
        backgroundColor: color,
        pointRadius: 0,
        borderWidth: 2,
        tension: 0.25,
      }));
      const chart = state.charts[name];
      if (chart) {
        chart.data.labels = labels;
        chart.data.datasets.forEach((dataset, i) => (dataset.data = datasets[i].data));
        chart.update("none");
        continue;
      }
      state.charts[name] = new window.Chart($(`#chart-${name}`), {
        type: spec.type,
        data: { labels, datasets },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          interaction: { mode: "index", intersect: false },
          plugins: { legend: { display: spec.series.length > 1, position: "bottom" } },
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
        },
      });
    }
  }

  function renderTables() {
    const top = $("#top-startups tbody");
    top.replaceChildren(
      ...state.dashboard.top_startups.map((row) =>
        tableRow([row.name || `#${row.id}`, [row.engagement, "number"]]),
      ),
    );
    if (!state.dashboard.top_startups.length) top.append(tableRow(["No engagement yet"]));
    const events = Object.entries(state.dashboard.events_by_type).sort((a, b) => b[1] - a[1]);
    $("#events-by-type tbody").replaceChildren(
      ...events.map(([name, n]) => tableRow([name.replaceAll("_", " "), [n, "number"]])),
    );
  }

  function tableRow(cells) {
    const row = document.createElement("tr");
    for (const cell of cells) {
      const [value, className] = Array.isArray(cell) ? cell : [cell, ""];
      const td = document.createElement("td");
      if (value instanceof Node) td.append(value);
      else td.textContent = value === null || value === undefined ? "–" : String(value);
      if (className) td.className = className;
      row.append(td);
    }
    return row;
  }

  function render() {
    renderTotals(state.dashboard.totals);
    renderCharts();
    renderTables();
  }

  async function load(range) {
    state.range = range;
    const sequence = ++loadSequence;
    for (const button of document.querySelectorAll("[data-range]")) {
      button.setAttribute("aria-pressed", String(button.dataset.range === range));
    }
    try {
      const dashboard = await api(`${API}/dashboard/?timerange=${encodeURIComponent(range)}`);
      if (sequence !== loadSequence) return; // another range was asked for since
      state.dashboard = dashboard;
      window.collabhubDashboard.loads += 1;
      window.collabhubDashboard.totalsFrom = "load";
      render();
      showError(null);
    } catch (error) {
      showError(error);
    }
  }

  function reloadSoon() {
    // A bucket the page does not have yet (a new minute, hour or day): the range moved on.
    if (state.reloading) return;
    state.reloading = setTimeout(async () => {
      await load(state.range);
      state.reloading = null;
    }, 250);
  }

  function applyMetricUpdate(data) {
    const dashboard = state.dashboard;
    window.collabhubDashboard.updates += 1;
    if (typeof data.published_at === "number") {
      const ms = Math.max(0, Date.now() - data.published_at * 1000);
      window.collabhubDashboard.lastDeliveryMs = ms;
      $("#delivery").textContent = `Last update ${new Date().toLocaleTimeString("en-GB")}, delivered ${ms.toFixed(0)} ms after it was published.`;
    }
    $("#sockets").textContent = format(data.sockets);
    renderAlerts(data.alerts || []);
    if (!dashboard) return;
    Object.assign(dashboard.totals, data.totals[dashboard.timerange] || {});
    window.collabhubDashboard.totalsFrom = "update";
    const buckets = (data.buckets || {})[dashboard.granularity] || {};
    const times = dashboard.series.t;
    for (const [bucket, figures] of Object.entries(buckets)) {
      const at = times.indexOf(bucket);
      if (at >= 0) {
        for (const [name, value] of Object.entries(figures)) {
          if (dashboard.series[name]) dashboard.series[name][at] = value;
        }
      } else if (bucket > times[times.length - 1]) {
        reloadSoon();
      }
    }
    renderTotals(dashboard.totals);
    renderCharts();
  }

  // --- alerts -----------------------------------------------------------------------------
  function renderAlerts(current) {
    state.alerts.clear();
    for (const alert of current) state.alerts.set(alert.code, alert);
    const strip = $("#alerts");
    for (const element of strip.querySelectorAll(".alert:not(.resolved)")) element.remove();
    for (const alert of state.alerts.values()) {
      const element = document.createElement("p");
      element.className = "alert";
      element.dataset.code = alert.code;
      element.textContent = alert.message;
      strip.prepend(element);
    }
    $("#no-alerts").hidden = state.alerts.size > 0;
  }

  function applyAlert(change) {
    if (change.status === "raised") {
      state.alerts.set(change.code, change);
      renderAlerts([...state.alerts.values()]);
      return;
    }
    state.alerts.delete(change.code);
    renderAlerts([...state.alerts.values()]);
    const element = document.createElement("p");
    element.className = "alert resolved";
    element.textContent = `Resolved: ${change.message}`;
    $("#alerts").append(element);
    setTimeout(() => element.remove(), 60_000);
  }

  // --- experiments ------------------------------------------------------------------------
  function renderExperiments() {
    const rows = [...state.experiments.values()].sort((a, b) =>
      (b.started_at || "").localeCompare(a.started_at || ""),
    );
    const body = $("#experiments tbody");
    if (!rows.length) {
      body.replaceChildren(tableRow(["No experiments yet."]));
      return;
    }
    body.replaceChildren(
      ...rows.map((row) => {
        const badge = document.createElement("span");
        badge.className = `badge ${row.status}`;
        badge.textContent = row.status;
        const lift = row.relative_lift === null ? null : `${(100 * row.relative_lift).toFixed(1)} %`;
        const p = row.p_value === null || row.p_value === undefined ? null : row.p_value.toPrecision(2);
        const tr = tableRow([
          row.name,
          row.target.replaceAll("_", " "),
          badge,
          [row.exposures, "number"],
          row.leader,
          [lift, "number"],
          [p, "number"],
          row.verdict,
        ]);
        tr.dataset.key = row.key;
        return tr;
      }),
    );
  }

  async function loadExperiments() {
    try {
      const list = await api(`${API}/experiments/`);
      const results = await Promise.all(
        list.slice(0, 20).map((experiment) =>
          api(`${API}/experiments/${encodeURIComponent(experiment.key)}/results/`),
        ),
      );
      state.experiments.clear();
      for (const result of results) state.experiments.set(result.summary.key, result.summary);
      renderExperiments();
    } catch (error) {
      showError(error);
    }
  }

  function applyExperimentUpdate(summary) {
    if (summary.status === "deleted") state.experiments.delete(summary.key);
    else state.experiments.set(summary.key, summary);
    renderExperiments();
  }

  // --- the socket -------------------------------------------------------------------------
  function setStatus(name, text) {
    const element = $("#status");
    element.dataset.state = name;
    element.textContent = text;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/ws/`);
    state.socket = socket;
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ type: "subscribe", group: "analytics" }));
      setStatus("connecting", "subscribing…");
      if (state.retry > 500) {
        // Back after a gap: what was pushed meanwhile is read again.
        load(state.range);
        loadExperiments();
      }
      state.retry = 500;
    });
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === "metric_update") applyMetricUpdate(message.data);
      else if (message.type === "experiment_update") applyExperimentUpdate(message.data);
      else if (message.type === "system_alert") applyAlert(message.data);
      else if (message.type === "subscribed") setStatus("live", "live");
      else if (message.type === "error" && message.data && message.data.code === "forbidden_group") {
        setStatus("offline", "not allowed: staff only");
      } else if (message.type === "resync") {
        load(state.range);
        loadExperiments();
      }
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4401 || event.code === 4403) {
        setStatus("offline", "signed out: reload the page to sign in");
        return;
      }
      setStatus("offline", "reconnecting…");
      setTimeout(connect, state.retry);
      state.retry = Math.min(state.retry * 2, 15_000);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    for (const button of document.querySelectorAll("[data-range]")) {
      button.addEventListener("click", () => load(button.dataset.range));
    }
    load(state.range);
    loadExperiments();
    connect();
  });
})();
