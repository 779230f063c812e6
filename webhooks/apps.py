from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Outbound webhooks: events delivered, signed, to the URLs staff register. It subscribes
    to the feed's fan-out; nobody imports this app."""

    name = "webhooks"

    def ready(self) -> None:
        from feed.signals import event_dispatched
        from webhooks import (
            checks,  # noqa: F401 - registers the system check
            receivers,
            tasks,  # noqa: F401 - registers the Celery tasks
        )

        event_dispatched.connect(receivers.event_dispatched, dispatch_uid="webhooks-deliveries")
