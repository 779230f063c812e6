from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Outbound webhooks: events delivered, signed, to the URLs staff register. It subscribes
    to the feed's fan-out; nobody imports this app."""

    name = "webhooks"

    def ready(self) -> None:
        from feed.signals import event_dispatched
        from observability.metrics import series_register
        from webhooks import (
            checks,  # noqa: F401 - registers the system check
            metrics,
            receivers,
            tasks,  # noqa: F401 - registers the Celery tasks
        )

        event_dispatched.connect(receivers.event_dispatched, dispatch_uid="webhooks-deliveries")
        series_register(metrics.DELIVERIES)
