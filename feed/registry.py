"""What can be recorded and followed, as the apps that own it declare (``core.events``).

``discover()`` (``FeedConfig.ready``) reads ``EVENT_TYPES`` and ``FOLLOWABLES`` from each
installed app's ``events.py``, as the admin discovers ``admin.py``. ``feed`` itself names no
domain app: recording an action nobody declared, or following a model nobody declared
followable, is a programming error and fails loudly.
"""

import importlib
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import module_has_submodule

from core.events import EventType, Followable

ACTION_MAX_LENGTH = 40  # ActivityEvent.action_type

_event_types: dict[str, EventType] = {}
_followables: dict[type[Any], Followable] = {}


class UnknownEventType(ValueError):
    pass


def discover() -> None:
    for config in apps.get_app_configs():
        if not module_has_submodule(config.module, "events"):
            continue
        module = importlib.import_module(f"{config.name}.events")
        for event_type in getattr(module, "EVENT_TYPES", ()):
            event_type_register(event_type)
        for followable in getattr(module, "FOLLOWABLES", ()):
            followable_register(followable)


def event_type_register(event_type: EventType) -> None:
    known = _event_types.get(event_type.action)
    if known is not None and known != event_type:
        raise ImproperlyConfigured(f"Event type {event_type.action!r} is declared twice.")
    if not 0 < len(event_type.action) <= ACTION_MAX_LENGTH:
        raise ImproperlyConfigured(f"Event type {event_type.action!r}: 1 to 40 characters.")
    _event_types[event_type.action] = event_type


def event_type_get(action: str) -> EventType:
    try:
        return _event_types[action]
    except KeyError:
        raise UnknownEventType(f"No app declares the event type {action!r}.") from None


def event_type_find(action: str) -> EventType | None:
    """The declaration, or None for an action no app declares any more (an old event)."""
    return _event_types.get(action)


def event_type_list() -> list[EventType]:
    return sorted(_event_types.values(), key=lambda event_type: event_type.action)


def interest_actions() -> list[str]:
    return [event_type.action for event_type in event_type_list() if event_type.interest]


def followable_register(followable: Followable) -> None:
    if followable.action not in _event_types:
        raise ImproperlyConfigured(f"{followable.model.__name__}: declare {followable.action!r}.")
    if followable.subject and any(
        other.subject and other.model is not followable.model for other in _followables.values()
    ):
        raise ImproperlyConfigured("Only one followable can be the subject of events.")
    _followables[followable.model] = followable


def followable_get(target: Any) -> Followable | None:
    """How a model (or an instance of it) is followed; None if it cannot be."""
    model = target if isinstance(target, type) else type(target)
    return _followables.get(model)


def followable_list() -> list[Followable]:
    return list(_followables.values())


def subject_model() -> type[Any] | None:
    """The model events are about (``ActivityEvent.startup_id`` points at it), if declared."""
    return next((f.model for f in _followables.values() if f.subject), None)
