"""What trending counts, and how it reads: the kinds of items, the windows, which recorded
events are engagement with which item, the decay and the sentence. Plain declarations,
shared by the receivers (that count), the rebuild and the selector (that reads).

Counted as things happen (``receivers.py`` → ``counters``):

* ``trend`` rollups, per ``<kind>:<item>:<action>`` (``follow``, ``save``, ``apply``) and
  bucket: the counts an item shows;
* ``trend_views`` rollups, per ``<kind>:<item>``: detail views (``core.signals.object_viewed``;
  not events, so they cannot be rebuilt, hence their own metric);
* ``engaged`` → ``EngagedPerson``: each person's latest engagement per item (the ranking).
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from accounts.events import USER_FOLLOWED
from startups.events import (
    APPLICATION_CREATED,
    OPPORTUNITY_SAVED,
    STARTUP_FOLLOWED,
    STARTUP_SAVED,
)

STARTUPS, OPPORTUNITIES, PEOPLE = "startups", "opportunities", "people"
KINDS = {STARTUPS: "s", OPPORTUNITIES: "o", PEOPLE: "p"}
ACTIONS = ("follow", "save", "apply")  # engagement: a person acting on an item
COUNT_NAMES = {"follow": "followers_gained", "save": "saves", "apply": "applications"}
# The actions each recorded event is, for which items; views are counted apart.
ENGAGING_EVENTS = (
    STARTUP_FOLLOWED,
    STARTUP_SAVED,
    OPPORTUNITY_SAVED,
    APPLICATION_CREATED,
    USER_FOLLOWED,
)


@dataclass(frozen=True)
class Window:
    name: str
    span: timedelta
    granularity: str  # of the count rollups read
    words: str  # "in the last …"

    @property
    def half_life_minutes(self) -> float:
        """Engagement a quarter of the window old weighs half as much as engagement now (at
        the window's start, a sixteenth)."""
        return self.span.total_seconds() / 60 / 4


WINDOWS = {
    "1h": Window("1h", timedelta(hours=1), "m", "hour"),
    "24h": Window("24h", timedelta(hours=24), "h", "24 hours"),
    "7d": Window("7d", timedelta(days=7), "h", "7 days"),
}
LONGEST = max(window.span for window in WINDOWS.values())


def engagements(
    *, action: str, startup_id: int | None, target_id: int | None, opportunity_id: Any
) -> list[tuple[str, int, str]]:
    """``(kind, item id, action)`` for each item an event is engagement with: a startup
    followed or saved, an opportunity saved, an application (to the opportunity and its
    startup), a person followed. Anything else is none."""
    found: list[tuple[str, Any, str]] = []
    if action == STARTUP_FOLLOWED:
        found = [("s", startup_id, "follow")]
    elif action == STARTUP_SAVED:
        found = [("s", startup_id, "save")]
    elif action == OPPORTUNITY_SAVED:
        found = [("o", target_id, "save")]
    elif action == APPLICATION_CREATED:
        found = [("s", startup_id, "apply"), ("o", opportunity_id, "apply")]
    elif action == USER_FOLLOWED:
        found = [("p", target_id, "follow")]
    return [(kind, int(item), name) for kind, item, name in found if item]


def event_engagements(event: Any) -> list[tuple[str, int, str]]:
    return engagements(
        action=event.action_type,
        startup_id=event.startup_id,
        target_id=event.target_id,
        opportunity_id=(event.snapshot or {}).get("opportunity_id"),
    )


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def reason(*, window: Window, people: int, counts: dict[str, int]) -> str:
    """'12 people engaged in the last 24 hours: 5 new followers, 4 saves, 3 applications
    (40 views)'."""
    parts = [
        _plural(counts["followers_gained"], "new follower", "new followers"),
        _plural(counts["saves"], "save", "saves"),
        _plural(counts["applications"], "application", "applications"),
    ]
    done = ", ".join(part for part in parts if not part.startswith("0 "))
    text = f"{_plural(people, 'person', 'people')} engaged in the last {window.words}"
    text += f": {done}" if done else ""
    if counts["views"]:
        text += f" ({_plural(counts['views'], 'view', 'views')})"
    return text
