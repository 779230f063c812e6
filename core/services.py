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
    stamps = [
        field.name
        for field in instance._meta.concrete_fields
        if getattr(field, "auto_now", False) and field.name not in changed
    ]
    instance.save(update_fields=[*changed, *stamps])
    return changed
