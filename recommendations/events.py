"""The event this app records: a person opened an item from their recommendations (private;
what the analytics of recommendations count as a click-through)."""

from typing import Any

from accounts.models import User
from core.events import EventType
from feed.services import event_record_once

RECOMMENDATION_VIEWED = "recommendation_viewed"

EVENT_TYPES = [EventType(RECOMMENDATION_VIEWED, "{actor} viewed {name}")]


def recommendation_viewed_record(*, user: User, item: Any, item_type: str) -> None:
    """A double click is one event (``event_record_once``)."""
    name = getattr(item, "name", None) or getattr(item, "title", "")
    event_record_once(
        action_type=RECOMMENDATION_VIEWED,
        actor=user,
        target=item,
        snapshot={"type": item_type, "name": name},
        is_public=False,
    )
