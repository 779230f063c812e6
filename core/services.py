"""Writes every app shares."""

from collections.abc import Iterable
from typing import Any

from django.db import models


def model_update(
    *,
    instance: models.Model,
    fields: Iterable[str],
    data: dict[str, Any],
    clean_exclude: Iterable[str] = (),
) -> list[str]:
    """Apply the ``fields`` that ``data`` names and that actually change, validate, and save
    only those (and ``auto_now`` timestamps). Returns the changed fields: empty means nothing
    was written, so the caller records no event for an edit that changes nothing."""
    changed = [
        field for field in fields if field in data and getattr(instance, field) != data[field]
    ]
    if not changed:
        return []
    for field in changed:
        setattr(instance, field, data[field])
    instance.full_clean(exclude=list(clean_exclude))
    instance.save(update_fields=[*changed, *_stamps(instance, changed)])
    return changed


def model_touch(*, instance: models.Model) -> None:
    """Save only the ``auto_now`` timestamps: the row changed through a relation (its skills)
    and says so in ``updated_at``."""
    stamps = _stamps(instance, [])
    if stamps:
        instance.save(update_fields=stamps)


def _stamps(instance: models.Model, changed: list[str]) -> list[str]:
    return [
        field.name
        for field in instance._meta.concrete_fields
        if getattr(field, "auto_now", False) and field.name not in changed
    ]
