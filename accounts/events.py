"""The events about people: what they are called, how they read, how a person is followed.

``accounts`` sits below ``feed``, so it declares and ``feed`` records: ``profile_updated`` when
``user_update`` sends the signal of that name, ``user_followed`` when someone follows a person.
"""

from typing import Any

from accounts.models import User
from core.events import EventType, Followable

PROFILE_UPDATED = "profile_updated"
USER_FOLLOWED = "user_followed"


def user_snapshot(user: User, **extra: Any) -> dict[str, Any]:
    return {"type": "user", "name": user.name, **extra}


EVENT_TYPES = [
    EventType(PROFILE_UPDATED, "{actor} updated their profile"),
    EventType(USER_FOLLOWED, "{actor} followed {name}"),
]
FOLLOWABLES = [Followable(User, USER_FOLLOWED, user_snapshot, notify_target=True)]
