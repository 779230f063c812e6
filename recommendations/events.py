"""The event this app records: a person opened an item from their recommendations (private;
what the analytics of recommendations count as a click-through)."""

from typing import Any

from accounts.models import User
from core.events import EventType
from feed.services import log_activity

RECOMMENDATION_VIEWED = "recommendation_viewed"

EVENT_TYPES = [EventType(RECOMMENDATION_VIEWED, "{actor} viewed {name}")]


def recommendation_viewed_record(*, user: User, item: Any, item_type: str) -> None:
    """A double click is one event (``log_activity``)."""
    name = getattr(item, "name", None) or getattr(item, "title", "")
    log_activity(
        action_type=RECOMMENDATION_VIEWED,
        actor=user,
        target=item,
        snapshot={"type": item_type, "name": name},
        is_public=False,
    )
