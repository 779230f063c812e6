"""How an event reads: one line from its action's sentence (declared by the app that records
it), its actor and the target's snapshot."""

from typing import Any

from feed import registry
from feed.models import ActivityEvent


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "something"


def describe(event: ActivityEvent) -> str:
    """The event type's sentence, filled from the actor and the snapshot: a text field by
    its key, a nested object (an opportunity's ``startup``) by its ``name``."""
    snapshot = event.snapshot or {}
    values = _Missing(
        {
            key: value.get("name") if isinstance(value, dict) else value
            for key, value in snapshot.items()
            if (isinstance(value, str) and value) or (isinstance(value, dict) and value.get("name"))
        },
        actor=event.actor.name if event.actor is not None else "Someone",
    )
    declared = registry.event_type_find(event.action_type)  # None: an action since retired
    template = declared.sentence if declared is not None else "{actor} did something"
    return template.format_map(values)


def target(event: ActivityEvent) -> dict[str, Any] | None:
    if not event.snapshot and event.target_id is None:
        return None
    return {
        "type": event.snapshot.get("type"),
        "id": event.target_id,
        **{k: v for k, v in event.snapshot.items() if k not in {"type", "id"}},
    }
