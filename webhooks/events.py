"""The event of webhooks: an endpoint was disabled after failing again and again; private to
staff, who are notified (and see it in their feed)."""

from urllib.parse import urlsplit

from accounts.models import User
from core.events import EventType
from feed.services import event_record
from webhooks.models import WebhookEndpoint

WEBHOOK_DISABLED = "webhook_disabled"

EVENT_TYPES = [
    EventType(WEBHOOK_DISABLED, "The webhook to {name} was disabled: {reason}"),
]


def webhook_disabled_record(*, endpoint: WebhookEndpoint) -> None:
    staff = list(User.objects.filter(is_staff=True, is_active=True))
    event_record(
        action_type=WEBHOOK_DISABLED,
        actor=None,
        target=endpoint,
        # The host only: a URL may carry a token, and private events reach other endpoints.
        snapshot={
            "type": "webhook",
            "name": urlsplit(endpoint.url).hostname or "?",
            "endpoint_id": endpoint.pk,
            "reason": f"{endpoint.consecutive_failures} failed deliveries in a row",
        },
        is_public=False,
        audience=staff,
        recipients=[user.pk for user in staff],
    )
