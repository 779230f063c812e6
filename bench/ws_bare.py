"""The baseline of ``bench/ws_fanout.py``: a bare Channels consumer, as the Channels tutorial
writes one -- it joins the ``everyone`` group and the user's group (``?user=<id>``, no
authentication) and forwards each pushed message -- on the same channel layer.

    uvicorn bench.ws_bare:application   (the benchmark starts it)
"""

import json
import os
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collabhub.settings")
django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from realtime.messages import EVERYONE, user_group  # noqa: E402


class BareConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        query = dict(part.split("=", 1) for part in self.scope["query_string"].decode().split("&"))
        self.groups_joined = [EVERYONE, user_group(int(query["user"]))]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def push(self, event: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(event["message"]))


async def live(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """``/live/``: the benchmark waits for it before connecting."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


application = ProtocolTypeRouter(
    {"http": live, "websocket": URLRouter([path("ws/", BareConsumer.as_asgi())])}
)
