"""The cache of ranked results: entries live ``CACHE_SECONDS`` under a version number that
any write to a searched table moves on (``invalidate``; ``invalidate_on_write`` connects a
model's saves, deletes and M2M changes to it)."""

import hashlib
import time
from typing import Any

from django.core.cache import cache as django_cache
from django.db import transaction
from django.db.models import Model, signals

CACHE_SECONDS = 600
CACHE_VERSION_KEY = "search:version"


def version() -> int:
    """Starts from the clock, so a version key lost with the cache (emptied after an outage)
    never comes back lower than before and revives an entry cached under an old number."""
    return int(django_cache.get_or_set(CACHE_VERSION_KEY, time.time_ns(), timeout=None) or 1)


def key(*parts: Any) -> str:
    """The cache key of a result identified by ``parts``, under the current version."""
    source = repr((*parts, version()))
    return "search:" + hashlib.sha256(source.encode()).hexdigest()


def _bump() -> None:
    try:
        django_cache.incr(CACHE_VERSION_KEY)
    except ValueError:
        django_cache.set(CACHE_VERSION_KEY, time.time_ns(), timeout=None)


def invalidate() -> None:
    """Any write to a searched table: every cached result is stale (a new version). Bumped at
    once and again after commit, so a search run in between cannot leave a stale entry."""
    _bump()
    transaction.on_commit(_bump)


def invalidate_on_write(model: type[Model], *, ignore_fields: frozenset[str] = frozenset()) -> None:
    """Connect ``model``'s saves, deletes and M2M changes to ``invalidate``; a save touching
    only ``ignore_fields`` (e.g. ``last_login``) changes nothing searchable."""

    def on_save(sender: Any, update_fields: Any = None, **kwargs: Any) -> None:
        if update_fields and set(update_fields) <= ignore_fields:
            return
        invalidate()

    def on_change(sender: Any, **kwargs: Any) -> None:
        invalidate()

    uid = f"search-invalidate-{model._meta.label}"
    signals.post_save.connect(on_save, sender=model, weak=False, dispatch_uid=uid)
    signals.post_delete.connect(on_change, sender=model, weak=False, dispatch_uid=uid)
    for m2m in model._meta.many_to_many:
        through = m2m.remote_field.through  # type: ignore[attr-defined]
        signals.m2m_changed.connect(on_change, sender=through, weak=False, dispatch_uid=uid)
