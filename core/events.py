"""How an app declares what it records in the activity feed (plain data, no models).

Each app that causes events has an ``events.py`` with ``EVENT_TYPES`` (the actions it
records) and, if people can follow something it owns, ``FOLLOWABLES``. ``feed`` discovers
them when it starts (``feed.registry``) and refuses to record an action nobody declared; a new
action is a new ``EventType`` in the app that causes it, with no migration in ``feed``. The
declarations live here, below every app, so an app under ``feed`` (``accounts``) can declare
its events without importing ``feed``.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

# ``(user ids, socket message)``: one push, sent after the fan-out commits.
Push = tuple[Iterable[int], dict[str, Any]]


@dataclass(frozen=True)
class EventType:
    """One action the platform records.

    ``sentence`` reads the event: ``{actor}`` is the actor's name; ``{name}``, ``{title}`` and
    ``{startup}`` come from the event's snapshot. ``interest``: public events of this action
    also reach people whose interests or skills match (the feed's interest source).
    ``notify(event)``: who else is notified when the event fans out, besides the recipients
    named when it was recorded. ``pushes(event)``: socket pushes of the app's own kind (a
    ``message``, a ``connection``) sent with the fan-out's.
    """

    action: str
    sentence: str
    interest: bool = False
    notify: Callable[[Any], Iterable[int]] | None = None
    pushes: Callable[[Any], Iterable[Push]] | None = None

    @property
    def label(self) -> str:
        return self.action.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Followable:
    """Something people can follow (a person, a startup), declared by the app that owns it.

    Following one records ``action`` with the target's ``snapshot``. ``notify_target``: the
    followed is a person, and is told. ``subject``: events about it (their ``startup_id``)
    enter its followers' feeds, and opportunity-like events notify them through the event
    type's ``notify`` rule.
    """

    model: type[Any]
    action: str
    snapshot: Callable[[Any], dict[str, Any]]
    notify_target: bool = False
    subject: bool = False
