from django.urls import path, re_path

from realtime.consumers import RealtimeConsumer, UnknownPathConsumer

websocket_urlpatterns = [
    path("ws/", RealtimeConsumer.as_asgi()),
    re_path(r"", UnknownPathConsumer.as_asgi()),  # closed with 4404, not a 500
]
