"""How an event reads: one line from its action, its actor and the target's snapshot."""

from typing import Any

from feed.models import ActionType, ActivityEvent

_TEMPLATES = {
    ActionType.STARTUP_CREATED: "{actor} created {name}",
    ActionType.STARTUP_UPDATED: "{actor} updated {name}",
    ActionType.STARTUP_FOLLOWED: "{actor} followed {name}",
    ActionType.STARTUP_SAVED: "{actor} saved {name}",
    ActionType.OPPORTUNITY_POSTED: "{actor} posted {title} at {startup}",
    ActionType.OPPORTUNITY_CLOSED: "{actor} closed {title} at {startup}",
    ActionType.OPPORTUNITY_SAVED: "{actor} saved {title} at {startup}",
    ActionType.APPLICATION_CREATED: "{actor} applied to {title} at {startup}",
    ActionType.APPLICATION_ACCEPTED: "{actor} accepted an application to {title} at {startup}",
    ActionType.APPLICATION_REJECTED: "{actor} declined an application to {title} at {startup}",
    ActionType.APPLICATION_WITHDRAWN: "{actor} withdrew an application to {title} at {startup}",
    ActionType.USER_FOLLOWED: "{actor} followed {name}",
    ActionType.PROFILE_UPDATED: "{actor} updated their profile",
    ActionType.MESSAGE_SENT: "{actor} sent {name} a message",
    ActionType.CONNECTION_REQUESTED: "{actor} asked to connect with {name}",
    ActionType.CONNECTION_MADE: "{actor} connected with {name}",
    ActionType.RECOMMENDATION_VIEWED: "{actor} viewed {name}",
}


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "something"


def describe(event: ActivityEvent) -> str:
    snapshot = event.snapshot or {}
    startup = snapshot.get("startup") or {}
    values = _Missing(
        actor=event.actor.name if event.actor is not None else "Someone",
        name=snapshot.get("name") or "something",
        title=snapshot.get("title") or "something",
        startup=startup.get("name") or snapshot.get("name") or "a startup",
    )
    template = _TEMPLATES.get(ActionType(event.action_type), "{actor} did something")
    return template.format_map(values)


def target(event: ActivityEvent) -> dict[str, Any] | None:
    if not event.snapshot and event.target_id is None:
        return None
    return {
        "type": event.snapshot.get("type"),
        "id": event.target_id,
        **{k: v for k, v in event.snapshot.items() if k not in {"type", "id"}},
    }
