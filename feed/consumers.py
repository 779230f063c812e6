"""The real-time socket: one per signed-in client, joined to the user's own group.

Authentication happens before ``accept()``: a same-origin browser's session cookie, or a
single-use ticket (``/ws/?ticket=...``, see ``feed.realtime``); anything else is closed with
4401, and a foreign ``Origin`` is refused by the ASGI stack. Messages are typed JSON:
``{"type": "notification", "id": ..., "data": {...}, "request_id": ...}``. ``ping`` is
answered with ``pong``; ``{"type": "resume", "after": <id>}`` sends, in order, every
notification after that id from the database, then live ones -- no gaps, no duplicates (a live
push at or below the last id sent is dropped). Each connection has its own ID, on every log
line about it; the ticket never appears in a log.
"""

import logging
import uuid
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from feed.realtime import EVERYONE, ticket_redeem, user_group
from observability.metrics import WEBSOCKETS

CLOSE_UNAUTHENTICATED = 4401
RESUME_LIMIT = 500  # notifications sent on one resume; the client resumes again for more

logger = logging.getLogger("collabhub.websocket")

__all__ = ["CLOSE_UNAUTHENTICATED", "RealtimeConsumer", "user_group"]


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
        user = self.scope.get("user")
        via = "session"
        if user is None or not user.is_authenticated:
            query = parse_qs(self.scope.get("query_string", b"").decode(errors="replace"))
            ticket = (query.get("ticket") or [""])[0]
            user = await _user_for_ticket(ticket) if ticket else None
            via = "ticket"
        if user is None or not user.is_authenticated:
            self._log("websocket refused", reason="unauthenticated")
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.scope["user"] = user
        self.user_id = user.pk
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add(EVERYONE, self.channel_name)
        await self.accept()
        WEBSOCKETS.inc()
        self._log("websocket connected", auth=via)

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.channel_layer.group_discard(EVERYONE, self.channel_name)
            WEBSOCKETS.dec()
            self._log("websocket disconnected", close_code=code)

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None  # answered with an error message below, not a crashed socket

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
