"""The real-time socket: one per signed-in client, joined to the user's own group.

Authentication: a single-use ticket (``/ws/?ticket=...``, see ``feed.realtime``), which needs
no ``Origin``, or a browser's session cookie, which is refused from a page of another origin
(scheme, host and port; cross-site WebSocket hijacking). Every refusal is accepted, then closed
with a code the client can read -- 4401 (no, used, expired or forged ticket; no session), 4403
(foreign Origin on a session), 4404 (unknown path) -- and logged at INFO with the reason.
Messages are typed JSON:
``{"type": "notification", "id": ..., "data": {...}, "request_id": ...}``. ``ping`` is
answered with ``pong``; ``{"type": "resume", "after": <id>}`` sends, in order, every
notification after that id from the database, then live ones -- no gaps, no duplicates (a live
push at or below the last id sent is dropped). Each connection has its own ID, on every log
line about it; the ticket never appears in a log.
"""

import logging
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from collabhub.api.parsers import has_lone_surrogate
from feed.realtime import EVERYONE, ticket_redeem, user_group
from observability.metrics import WEBSOCKETS

CLOSE_UNAUTHENTICATED = 4401  # no, used, expired or forged ticket; no session
CLOSE_FORBIDDEN_ORIGIN = 4403  # a session cookie sent from a foreign page
CLOSE_UNKNOWN_PATH = 4404
RESUME_LIMIT = 500  # notifications sent on one resume; the client resumes again for more

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


def origin_allowed(origin: str, scope: dict[str, Any]) -> bool:
    """Whether a browser page at ``origin`` may use the session cookie on this socket: the
    socket's own origin (scheme, host and port) or one of ``CSRF_TRUSTED_ORIGINS``."""
    given = _origin_tuple(origin)
    if given is None:
        return False
    scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
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
def _user_for_ticket(ticket: str) -> Any:
    from accounts.models import User

    user_id = ticket_redeem(ticket)
    if user_id is None:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


@database_sync_to_async
def _notifications_after(user_id: int, after: int) -> list[dict[str, Any]]:
    from feed.models import Notification
    from feed.serializers import notification_message

    rows = (
        Notification.objects.filter(recipient_id=user_id, pk__gt=after)
        .select_related("event__actor")
        .order_by("pk")[:RESUME_LIMIT]
    )
    return [notification_message(row) for row in rows]


class RealtimeConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None
    connection_id: str = ""
    user_id: int | None = None
    last_notification_id: int = 0

    def _log(self, message: str, **extra: Any) -> None:
        extra = {"request_id": self.connection_id, "user_id": self.user_id, **extra}
        logger.info(message, extra=extra)

    def _log_debug(self, message: str, **extra: Any) -> None:
        extra = {"request_id": self.connection_id, "user_id": self.user_id, **extra}
        logger.debug(message, extra=extra)

    async def connect(self) -> None:
        self.connection_id = f"ws-{uuid.uuid4().hex}"
        query = parse_qs(self.scope.get("query_string", b"").decode(errors="replace"))
        ticket = (query.get("ticket") or [""])[0]
        if ticket:
            # The single-use ticket is the credential: no Origin needed (a script, an app).
            user, via = await _user_for_ticket(ticket), "ticket"
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
        self.scope["user"] = user
        self.user_id = user.pk
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add(EVERYONE, self.channel_name)
        await self.accept()
        WEBSOCKETS.inc()
        self._log("websocket connected", auth=via)

    async def _refuse(self, code: int, reason: str, **extra: Any) -> None:
        """Accept, then close with our code: a refusal at the handshake would reach the
        client as a bare HTTP 403, and the code and reason would be lost."""
        self._log("websocket refused", reason=reason, close_code=code, **extra)
        await self.accept()
        await self.close(code=code)
        raise StopConsumer  # done: stop listening on the channel layer now

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.channel_layer.group_discard(EVERYONE, self.channel_name)
            WEBSOCKETS.dec()
            self._log("websocket disconnected", close_code=code)

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        try:
            content = await super().decode_json(text_data)
        except ValueError:
            return None  # answered with an error message below, not a crashed socket
        return None if has_lone_surrogate(content) else content

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        message_type = content.get("type") if isinstance(content, dict) else None
        self._log("websocket message", message_type=message_type)
        if message_type == "ping":
            await self.send_json({"type": "pong"})
        elif message_type == "resume":
            await self._resume(content.get("after"))
        elif content is None:
            await self.send_json({"type": "error", "data": {"code": "invalid_json"}})
        else:
            await self.send_json({"type": "error", "data": {"code": "unknown_message_type"}})

    async def _resume(self, after: Any) -> None:
        if isinstance(after, bool) or not isinstance(after, int) or after < 0:
            await self.send_json({"type": "error", "data": {"code": "invalid_resume"}})
            return
        assert self.user_id is not None  # noqa: S101 - only connected sockets receive
        missed = await _notifications_after(self.user_id, max(after, 0))
        for message in missed:
            if message["id"] > self.last_notification_id:
                self.last_notification_id = message["id"]
            await self.send_json(message)
        await self.send_json(
            {"type": "resumed", "data": {"count": len(missed), "more": len(missed) == RESUME_LIMIT}}
        )

    async def push(self, event: dict[str, Any]) -> None:
        """Group messages of type ``push`` carry a typed message for the client."""
        message = event["message"]
        if message.get("type") == "notification":
            if message["id"] <= self.last_notification_id:
                return  # already sent by a resume
            self.last_notification_id = message["id"]
        # Not logged at INFO: a broadcast would write one line per open socket.
        if logger.isEnabledFor(logging.DEBUG):
            self._log_debug("websocket push", message_type=message.get("type"))
        await self.send_json(message)
