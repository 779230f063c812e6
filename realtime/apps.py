from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    """The one path to a socket: the consumer, tickets, the message shape, pushes and resume.
    Below the feed (whose fan-out pushes), above accounts (whose sessions it checks)."""

    name = "realtime"

    def ready(self) -> None:
        from accounts.signals import sessions_ended
        from observability.cache import cache_name_register
        from realtime import receivers

        cache_name_register("realtime:", "realtime")  # live groups' holders, sockets per process

        sessions_ended.connect(receivers.close_sockets, dispatch_uid="realtime-sessions-ended")
