"""The real-time socket: one per signed-in client, joined to the user's own group.

This first slice authenticates with the session cookie (same-origin browsers), joins
``user.<id>`` and answers ``ping``; the feed and notification pushes build on it.
"""

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from observability.metrics import WEBSOCKETS

CLOSE_UNAUTHENTICATED = 4401


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


class RealtimeConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        WEBSOCKETS.inc()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            WEBSOCKETS.dec()

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None  # answered with an error message below, not a crashed socket

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        elif content is None:
            await self.send_json({"type": "error", "data": {"code": "invalid_json"}})
        else:
            await self.send_json({"type": "error", "data": {"code": "unknown_message_type"}})

    async def push(self, event: dict[str, Any]) -> None:
        """Group messages of type ``push`` carry a typed message for the client."""
        await self.send_json(event["message"])
