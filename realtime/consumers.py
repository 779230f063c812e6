"""The real-time socket: one per signed-in client, joined to the user's own group and to
``everyone``; on request (``{"type": "subscribe", "group": ...}``), to a live group that admits
the user (staff: ``analytics``; see ``realtime.live``). ``everyone`` is joined once per process
(``realtime.fanout``), which hands each broadcast to its sockets serialised once.

Authentication: a single-use ticket (``/ws/?ticket=...``, see ``realtime.services``), which needs
no ``Origin``, or a browser's session cookie, which is refused from a page of another origin
(scheme, host and port; cross-site WebSocket hijacking). Every refusal is accepted, then closed
with a code the client can read -- 4401 (no, used, expired or forged ticket; no session), 4403
(foreign Origin on a session), 4404 (unknown path) -- and logged at INFO with the reason.
Messages are typed JSON:
``{"type": "notification", "id": ..., "data": {...}, "request_id": ...}``. ``ping`` is
answered with ``pong``; ``{"type": "resume", "after": <id>, "feed_after": <id>,
"messages_after": <id>}`` replays, kind by kind, what the client missed from the database (the
sources are registered by the apps that own them), then live ones -- no gaps, and a live push
the resume has just sent is dropped. If the channel layer fails the socket stays open and says
``resync`` when it is back. Each connection has its own ID, on every log line about it; the
ticket never appears in a log.
"""

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from typing import Any
from urllib.parse import parse_qs, urlsplit

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.conf import settings

from accounts.services import browser_session_sid
from core.api.parsers import has_lone_surrogate
from observability.metrics import WEBSOCKETS
from realtime import live
from realtime.fanout import fanout_join, fanout_leave
from realtime.messages import socket_message, user_group
from realtime.resume import REFETCH, ResumeSource, resume_sources
from realtime.services import ticket_redeem

CLOSE_UNAUTHENTICATED = 4401  # no, used, expired or forged ticket; no session
CLOSE_FORBIDDEN_ORIGIN = 4403  # a session cookie sent from a foreign page
CLOSE_UNKNOWN_PATH = 4404
RESUME_LIMIT = 500  # messages of each kind sent on one resume; the client resumes again for more
LAYER_RETRY_FIRST, LAYER_RETRY_MAX = 0.5, 5.0  # seconds between tries while the layer fails
REJOIN_EVERY = 600.0  # seconds between idempotent re-joins of the socket's groups
LIVE_RECHECK = 30.0  # seconds a live group's admission of the user is trusted

logger = logging.getLogger("collabhub.websocket")

__all__ = ["CLOSE_UNAUTHENTICATED", "RealtimeConsumer", "user_group"]


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_tuple(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) with the scheme's default port filled in; None if unparsable."""
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port


def _secure(scope: dict[str, Any]) -> bool:
    """Whether the client reached us over TLS: the server says so, or the trusted proxy does
    (``SECURE_PROXY_SSL_HEADER``, as Django decides ``request.is_secure()``)."""
    if scope.get("scheme") in ("wss", "https"):
        return True
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if not proxy:
        return False
    name, value = proxy
    header = name.removeprefix("HTTP_").lower().replace("_", "-").encode()
    return _header(scope, header) == value


def origin_allowed(origin: str, scope: dict[str, Any]) -> bool:
    """Whether a browser page at ``origin`` may use the session cookie on this socket: the
    socket's own origin (scheme, host and port) or one of ``CSRF_TRUSTED_ORIGINS``."""
    given = _origin_tuple(origin)
    if given is None:
        return False
    scheme = "https" if _secure(scope) else "http"
    host = _header(scope, b"host")
    allowed = [f"{scheme}://{host}"] if host else []
    allowed += settings.CSRF_TRUSTED_ORIGINS
    return any(given == _origin_tuple(url) for url in allowed)


class UnknownPathConsumer(AsyncJsonWebsocketConsumer):
    """Any socket path but ``/ws/``: accepted and closed with 4404, logged at INFO."""

    async def connect(self) -> None:
        logger.info(
            "websocket refused",
            extra={"reason": "unknown_path", "path": self.scope.get("path", "")[:200]},
        )
        await self.accept()
        await self.close(code=CLOSE_UNKNOWN_PATH)
        raise StopConsumer


@database_sync_to_async
def _user_for_ticket(ticket: str) -> tuple[Any, str | None]:
    """The active user a ticket opens a socket for (None if none), and its sign-in session."""
    from accounts.models import User

    holder = ticket_redeem(ticket=ticket)
    if holder is None:
        return None, None
    return User.objects.filter(pk=holder.user_id, is_active=True).first(), holder.session


@database_sync_to_async
def _live_groups_now(user_id: int) -> tuple[str, ...]:
    """The live groups the user is admitted to now (none once deactivated or deleted)."""
    from accounts.models import User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    return tuple(live.live_groups_for(user)) if user is not None else ()


@database_sync_to_async
def _replay(source: ResumeSource, user_id: int, after: int) -> list[dict[str, Any]]:
    return source.fetch(user_id=user_id, after=after, limit=RESUME_LIMIT)


class RealtimeConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None
    connection_id: str = ""
    user_id: int | None = None
    session: str | None = None  # the sign-in session of the ticket that opened the socket
    live_groups: tuple[str, ...] = ()  # the live groups it joined (staff: analytics)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.resumed: dict[str, set[int]] = {}  # per kind, the ids the last resume sent
        self.layer_failed_since: float | None = None  # the channel layer failing, since
        self.keeper: asyncio.Future[None] | None = None  # re-joins the groups now and then
        self.live_checked_at = time.monotonic()  # when the live groups were last checked
        self.opened = False  # accepted, and not yet disconnected: broadcasts may be sent
        self.broadcasts: deque[tuple[dict[str, Any], str]] = deque()  # waiting to be sent
        self.broadcaster: asyncio.Future[None] | None = None  # sends them, one at a time
        self.replaying = asyncio.Lock()  # held by a resume: broadcasts wait for it to end

    def _log(self, message: str, **extra: Any) -> None:
        extra = {"request_id": self.connection_id, "user_id": self.user_id, **extra}
        logger.info(message, extra=extra)

    def _log_warning(self, message: str, **extra: Any) -> None:
        extra = {"request_id": self.connection_id, "user_id": self.user_id, **extra}
        logger.warning(message, extra=extra)

    def _log_debug(self, message: str, **extra: Any) -> None:
        extra = {"request_id": self.connection_id, "user_id": self.user_id, **extra}
        logger.debug(message, extra=extra)

    async def connect(self) -> None:
        self.connection_id = f"ws-{uuid.uuid4().hex}"
        query = parse_qs(self.scope.get("query_string", b"").decode(errors="replace"))
        ticket = (query.get("ticket") or [""])[0]
        if ticket:
            # The single-use ticket is the credential: no Origin needed (a script, an app).
            (user, self.session), via = await _user_for_ticket(ticket), "ticket"
            if user is None:
                await self._refuse(CLOSE_UNAUTHENTICATED, "invalid_ticket")
                return
        else:
            user, via = self.scope.get("user"), "session"
            if user is None or not user.is_authenticated:
                await self._refuse(CLOSE_UNAUTHENTICATED, "unauthenticated")
                return
            # A browser sends the cookie whichever page opens the socket: only our own
            # origins may use it (cross-site WebSocket hijacking).
            origin = _header(self.scope, b"origin")
            if origin is not None and not origin_allowed(origin, self.scope):
                await self._refuse(CLOSE_FORBIDDEN_ORIGIN, "foreign_origin", origin=origin)
                return
            # Signing this browser out closes the sockets it opened with its cookie.
            session_key = getattr(self.scope.get("session"), "session_key", None)
            if session_key:
                self.session = browser_session_sid(session_key=session_key)
        self.scope["user"] = user
        self.user_id = user.pk
        self.group = user_group(user.pk)
        try:
            await self._join_groups()
        except Exception as exc:  # the socket still works: resume, and live pushes once back
            self._layer_failed(exc)
        self.keeper = asyncio.ensure_future(self._keep_joined())
        await self.accept()
        self.opened = True
        self._send_broadcasts_soon()  # any that came before the socket was accepted
        WEBSOCKETS.inc()
        live.socket_opened()
        self._log("websocket connected", auth=via)

    async def _reply(self, type: str, data: Any = None) -> None:
        """The socket's own messages (pong, error, resumed, resync, session_ended) have the one
        shape too; their ``request_id`` is the connection's ID, which every log line about
        the socket carries."""
        await self.send_json(
            socket_message(type=type, id=None, data=data, request_id=self.connection_id)
        )

    async def _refuse(self, code: int, reason: str, **extra: Any) -> None:
        """Accept, then close with our code: a refusal at the handshake would reach the
        client as a bare HTTP 403, and the code and reason would be lost."""
        self._log("websocket refused", reason=reason, close_code=code, **extra)
        await self.accept()
        await self.close(code=code)
        raise StopConsumer  # done: stop listening on the channel layer now

    async def disconnect(self, code: int) -> None:
        self.opened = False
        if self.keeper is not None:
            self.keeper.cancel()
        if self.broadcaster is not None:
            self.broadcaster.cancel()
        if self.group:
            await fanout_leave(socket=self, layer=self.channel_layer)
            with contextlib.suppress(Exception):  # a layer that is down forgets on its own
                await self.channel_layer.group_discard(self.group, self.channel_name)
                for name in self.live_groups:
                    await self.channel_layer.group_discard(name, self.channel_name)
            WEBSOCKETS.dec()
            live.socket_closed()
            for name in self.live_groups:
                live.unwatch(name)
            self._log("websocket disconnected", close_code=code)

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        try:
            content = await super().decode_json(text_data)
        except ValueError:
            return None  # answered with an error message below, not a crashed socket
        return None if has_lone_surrogate(content) else content

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Channels' dispatch loop (``AsyncConsumer.__call__``), with a channel-layer receive
        that outlives the layer failing: a Redis outage pauses live pushes instead of closing
        every socket with 1011, and the socket resyncs when it is back."""
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = await self.channel_layer.new_channel()
        self.base_send = send
        with contextlib.suppress(StopConsumer):
            await await_many_dispatch([receive, self._channel_receive], self.dispatch)

    async def _channel_receive(self) -> dict[str, Any]:
        delay = LAYER_RETRY_FIRST
        while True:
            try:
                if self.layer_failed_since is not None:
                    if self.group is not None:
                        await self._join_groups()  # a restarted Redis forgot the groups
                    await self._resync(time.monotonic() - self.layer_failed_since)
                    self.layer_failed_since, delay = None, LAYER_RETRY_FIRST
                message: dict[str, Any] = await self.channel_layer.receive(self.channel_name)
                return message
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._layer_failed(exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, LAYER_RETRY_MAX)

    def _layer_failed(self, exc: Exception) -> None:
        if self.layer_failed_since is None:
            self.layer_failed_since = time.monotonic()
            self._log_warning("channel layer failing: live pushes paused", error=repr(exc))

    async def _resync(self, paused: float) -> None:
        """Pushes sent while the layer was down are lost: tell the client to resume."""
        self._log("channel layer back: live pushes resumed", paused_s=round(paused, 1))
        await self._reply("resync", {"resume": sorted(resume_sources), "refetch": REFETCH})

    async def _keep_joined(self) -> None:
        """Join the groups again now and then: memberships expire (channels-redis forgets them
        after a day) and vanish without an error when Redis is flushed or fails over to an
        empty replica. Joining is idempotent."""
        while True:
            await asyncio.sleep(REJOIN_EVERY)
            try:
                await self._join_groups()
            except Exception as exc:
                self._layer_failed(exc)

    async def _join_groups(self) -> None:
        assert self.group is not None  # noqa: S101 - only connected sockets receive
        await self.channel_layer.group_add(self.group, self.channel_name)
        for name in self.live_groups:
            await self.channel_layer.group_add(name, self.channel_name)
        await fanout_join(socket=self, layer=self.channel_layer)  # everyone, once per process

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        message_type = content.get("type") if isinstance(content, dict) else None
        self._log("websocket message", message_type=message_type)
        if message_type == "ping":
            await self._reply("pong")
        elif message_type == "resume":
            await self._resume(content)
        elif message_type == "subscribe":
            await self._subscribe(content.get("group"))
        elif message_type == "unsubscribe":
            await self._unsubscribe(content.get("group"))
        elif content is None:
            await self._reply("error", {"code": "invalid_json"})
        else:
            await self._reply("error", {"code": "unknown_message_type"})

    async def _resume(self, content: dict[str, Any]) -> None:
        """Replay, kind by kind and oldest first, what the client missed after the last id it
        names for each kind; kinds it does not name are not replayed."""
        asked = {}
        for source in resume_sources.values():
            after = content.get(source.param)
            if after is None and source.param != "after":
                continue
            if isinstance(after, bool) or not isinstance(after, int) or after < 0:
                await self._reply("error", {"code": "invalid_resume"})
                return
            asked[source.message_type] = (source, after)
        assert self.user_id is not None  # noqa: S101 - only connected sockets receive
        counts, more = {}, False
        async with self.replaying:
            for message_type, (source, after) in asked.items():
                missed = await _replay(source, self.user_id, after)
                self.resumed[message_type] = {message["id"] for message in missed}
                for message in missed:
                    await self.send_json(message)
                counts[message_type] = len(missed)
                more = more or len(missed) == RESUME_LIMIT
            data = {"count": sum(counts.values()), "more": more, "counts": counts}
            await self._reply("resumed", {**data, "refetch": REFETCH})

    def _already_sent(self, message: dict[str, Any]) -> bool:
        """Whether a live push was just sent by a resume. By id, not by "the highest id sent":
        fan-outs do not finish in id order (a broker outage delays old ones), and a late push
        of an older item is news to the client."""
        sent = self.resumed.get(str(message.get("type")))
        if sent is None or message.get("id") not in sent:
            return False
        sent.discard(message["id"])
        return True

    async def session_ended(self, event: dict[str, Any]) -> None:
        """The sign-in session this socket was opened with ended (signed out; for every
        session, a password change): tell the client and close, as a refused ticket would."""
        ended = event["message"].get("session")
        if ended is not None and ended != self.session:
            return
        self._log("websocket closed: session ended")
        await self._reply("session_ended")
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def _subscribe(self, name: Any) -> None:
        """Join a live group the user is admitted to (``realtime.live``): staff's dashboard
        subscribes to ``analytics``. Anyone else is told ``forbidden_group``."""
        if not isinstance(name, str) or name not in live.live_groups:
            await self._reply("error", {"code": "unknown_group"})
            return
        assert self.user_id is not None  # noqa: S101 - only connected sockets receive
        try:
            admitted = await _live_groups_now(self.user_id)
        except Exception:
            self._log_warning("live group not joined: database unavailable", group=name)
            await self._reply("error", {"code": "unavailable"})
            return
        if name not in admitted:
            self._log("websocket refused a live group", group=name)
            await self._reply("error", {"code": "forbidden_group"})
            return
        if name not in self.live_groups:
            self.live_groups = (*self.live_groups, name)
            self.live_checked_at = time.monotonic()
            try:
                await self.channel_layer.group_add(name, self.channel_name)
            except Exception as exc:  # joined again once the layer is back
                self._layer_failed(exc)
            live.watch(name)
        await self._reply("subscribed", {"group": name})

    async def _unsubscribe(self, name: Any) -> None:
        if name in self.live_groups:
            await self._leave_live_group(name)
        await self._reply("unsubscribed", {"group": name if isinstance(name, str) else None})

    async def _leave_live_group(self, name: str) -> None:
        self.live_groups = tuple(group for group in self.live_groups if group != name)
        with contextlib.suppress(Exception):  # a layer that is down forgets on its own
            await self.channel_layer.group_discard(name, self.channel_name)
        live.unwatch(name)

    async def live_push(self, event: dict[str, Any]) -> None:
        """A live group's message: sent if the user is still admitted -- re-checked every
        ``LIVE_RECHECK`` seconds, so withdrawn staff rights stop the pushes within that. A
        database that cannot say drops this message and asks again at the next."""
        if time.monotonic() - self.live_checked_at > LIVE_RECHECK:
            assert self.user_id is not None  # noqa: S101 - only connected sockets receive
            try:
                admitted = await _live_groups_now(self.user_id)
            except Exception:
                self._log_debug("live group admission not checked: database unavailable")
                return
            self.live_checked_at = time.monotonic()
            for name in set(self.live_groups) - set(admitted):
                self._log("websocket left a live group", group=name)
                await self._leave_live_group(name)
        if event.get("group") in self.live_groups:
            await self.send_json(event["message"])

    def deliver(self, message: dict[str, Any], text: str) -> None:
        """A broadcast from this process's fan-out (``realtime.fanout``), already ``text``:
        sent in order, after a resume being replayed, unless that resume sent it."""
        self.broadcasts.append((message, text))
        self._send_broadcasts_soon()

    def _send_broadcasts_soon(self) -> None:
        if (
            self.opened
            and self.broadcasts
            and (self.broadcaster is None or self.broadcaster.done())
        ):
            self.broadcaster = asyncio.ensure_future(self._send_broadcasts())

    async def _send_broadcasts(self) -> None:
        async with self.replaying:
            while self.broadcasts and self.opened:
                message, text = self.broadcasts.popleft()
                if self._already_sent(message):
                    continue
                try:
                    await self.send(text_data=text)
                except Exception as exc:  # the client went away: its disconnect follows
                    self.broadcasts.clear()
                    self._log_debug("broadcast not sent", error=repr(exc))

    async def push(self, event: dict[str, Any]) -> None:
        """Group messages of type ``push`` carry a typed message for the client."""
        message = event["message"]
        if self._already_sent(message):
            return
        # Not logged at INFO: a broadcast would write one line per open socket.
        if logger.isEnabledFor(logging.DEBUG):
            self._log_debug("websocket push", message_type=message.get("type"))
        await self.send_json(message)
