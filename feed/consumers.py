"""The real-time socket: one per signed-in client, joined to the user's own group.

This first slice authenticates with the session cookie (same-origin browsers), joins
``user.<id>`` and answers ``ping``; the feed and notification pushes build on it. Each
connection gets its own ID, on every log line about it.
"""

import logging
import uuid
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from observability.metrics import WEBSOCKETS

CLOSE_UNAUTHENTICATED = 4401

logger = logging.getLogger("collabhub.websocket")


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


class RealtimeConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None
    connection_id: str = ""

    def _log(self, message: str, **extra: Any) -> None:
        user = self.scope.get("user")
        user_id = user.pk if user is not None and user.is_authenticated else None
        logger.info(message, extra={"request_id": self.connection_id, "user_id": user_id, **extra})

    async def connect(self) -> None:
        self.connection_id = f"ws-{uuid.uuid4().hex}"
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            self._log("websocket refused", reason="unauthenticated")
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        WEBSOCKETS.inc()
        self._log("websocket connected")

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
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
        elif content is None:
            await self.send_json({"type": "error", "data": {"code": "invalid_json"}})
        else:
            await self.send_json({"type": "error", "data": {"code": "unknown_message_type"}})

    async def push(self, event: dict[str, Any]) -> None:
        """Group messages of type ``push`` carry a typed message for the client."""
        await self.send_json(event["message"])
