"""The feed's own event: staff changed the default mix of feed pages. Private: staff see it
(the audit trail of who changed what, with the mix before and after) and are notified."""

from typing import Any

from accounts.models import User
from core.events import EventType
from feed.models import FeedComposition
from feed.services import event_record

FEED_COMPOSITION_CHANGED = "feed_composition_changed"

EVENT_TYPES = [
    EventType(FEED_COMPOSITION_CHANGED, "{actor} set the feed's default mix to {mix}"),
]


def _mix(shares: dict[str, float]) -> str:
    return f"{shares['personal']:.0%} personal / {shares['interest']:.0%} interest"


def feed_composition_changed_record(
    *, composition: FeedComposition, before: dict[str, Any], by: User
) -> None:
    """Inside the write's transaction: the change and its record commit together."""
    after = {"personal": composition.personal, "interest": composition.interest}
    staff = list(User.objects.filter(is_staff=True, is_active=True))
    event_record(
        action_type=FEED_COMPOSITION_CHANGED,
        actor=by,
        target=composition,
        snapshot={"type": "feed_composition", "mix": _mix(after), "before": before, "after": after},
        is_public=False,
        audience=staff,
        recipients=[user.pk for user in staff],
    )
