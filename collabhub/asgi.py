"""ASGI entry point: WebSockets (and, under ``make run``, HTTP too) are served from here."""

import gc
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

# Everything loaded by now lives as long as the process: out of the collector's sight, a full
# collection scans only what came since (the sockets) -- 60-80 ms instead of about 240 at
# 1,000 sockets, a pause that lands in whichever broadcast it meets (docs/benchmarks.md).
gc.collect()
gc.freeze()
