"""ASGI entry point: WebSockets (and, under ``make run``, HTTP too) are served from here."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collabhub.settings")

# Django must be set up before the routing (and so the models) is imported.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # The consumer checks the Origin of cookie-authenticated sockets itself (ticket
        # clients need none) and closes a refusal with a code the client can read.
        "websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns)),
    }
)
