"""Reading recommendations: the algorithm choice, the cache, and the run behind a miss.

A result is cached per person, type and algorithm for ``RECOMMENDATIONS_CACHE_TTL`` (30 min)
under the person's version, which ``services.recommendations_invalidate`` moves on (their
skills, interests or interactions changed; ``POST /recommendations/refresh/``). Each cached
result also remembers the items it shows: an item changed since (``item_stamp`` stamps it)
makes the result stale, so a closed opportunity or a deleted startup is never served from the
cache.
"""

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils.module_loading import import_string

from accounts.models import User
from core.db.plans import serial_plans
from recommendations import engine, metrics
from recommendations.engine import ALGORITHMS, DEFAULT_TYPES, Context, Types
from recommendations.models import Interaction, InteractionKind

VERSION_KEY = "recs:user:{user_id}:version"
RESULT_KEY = "recs:result:{user_id}:{type}:{algorithm}:{version}"
STAMP_KEY = "recs:stamp:{kind}:{item_id}"


def stamp_timeout() -> int:
    """Stamps and versions outlive every result they can make stale."""
    return max(settings.RECOMMENDATIONS_CACHE_TTL, settings.RECOMMENDATIONS_PRECOMPUTE_TTL) + 3600


def default_type_get(*, user: User) -> str:
    return DEFAULT_TYPES.get(user.role, Types.STARTUPS)


def algorithm_choose(*, user: User, type: str) -> str:
    """The one place the algorithm is chosen: ``RECOMMENDATIONS_ALGORITHM``, unless
    ``RECOMMENDATIONS_ALGORITHM_HOOK`` (a dotted path to ``callable(user=, type=)``,
    an A/B experiment) returns another of ``ALGORITHMS``."""
    hook = settings.RECOMMENDATIONS_ALGORITHM_HOOK
    if hook:
        chosen = import_string(hook)(user=user, type=type)
        if chosen in ALGORITHMS:
            return str(chosen)
    return str(settings.RECOMMENDATIONS_ALGORITHM)


def _version(user_id: int) -> int:
    return int(cache.get(VERSION_KEY.format(user_id=user_id)) or 0)


def recommendations_compute(
    *, user: User, type: str, algorithm: str, opportunity_id: int | None = None
) -> dict[str, Any]:
    """One uncached run: {"type", "algorithm" (what ran), "recommendations" (up to 50)};
    with ``opportunity_id`` (talent), for that one of the founder's roles. Counted and timed
    (``recommendations_generated_total``, ``recommendation_generation_duration_seconds``)."""
    started = time.perf_counter()
    strategy = engine.strategy_for(user, type)
    ctx = Context(user=user, type=type, algorithm=algorithm, opportunity_id=opportunity_id)
    # A run is a dozen small queries: parallel workers would cost more to start than they do.
    with serial_plans():
        algorithm = ctx.algorithm = engine.algorithm_resolve(ctx, strategy)
        ranked = engine.run(ctx, strategy)
    result = {
        "type": type,
        "algorithm": algorithm,
        "recommendations": engine.present(strategy, ranked, engine.MAX_LIMIT),
    }
    metrics.GENERATED.labels(type=type, algorithm=algorithm).inc()
    metrics.GENERATION_DURATION.labels(type=type).observe(time.perf_counter() - started)
    return result


def recommendation_list(
    *,
    user: User,
    type: str | None = None,
    limit: int = 10,
    algorithm: str | None = None,
    use_cache: bool = True,
    opportunity_id: int | None = None,
) -> dict[str, Any]:
    """What to recommend to ``user``; for a founder's ``talent``, ``opportunity_id`` narrows it
    to the candidates for that one of their open roles (cached apart from the whole list)."""
    type = type or default_type_get(user=user)
    algorithm = algorithm or algorithm_choose(user=user, type=type)
    scope = f"{type}@{opportunity_id}" if opportunity_id is not None else type
    key = RESULT_KEY.format(
        user_id=user.pk, type=scope, algorithm=algorithm, version=_version(user.pk)
    )
    result = cache.get(key) if use_cache else None
    if result is not None and _stale(result):
        result = None
    if result is None:
        started = time.time()  # a change committed during the run is newer than this
        result = recommendations_compute(
            user=user, type=type, algorithm=algorithm, opportunity_id=opportunity_id
        )
        result["built_at"] = started
        if use_cache:
            cache.set(key, result, settings.RECOMMENDATIONS_CACHE_TTL)
    return {
        "type": result["type"],
        "algorithm": result["algorithm"],
        "recommendations": result["recommendations"][:limit],
    }


def recommendations_precompute(*, user: User) -> None:
    """Compute and cache a person's default recommendations (nightly, for active people); the
    same triggers invalidate them, so they may live until the next night."""
    type = default_type_get(user=user)
    algorithm = algorithm_choose(user=user, type=type)
    # Version and time first, then the person as they are now: a change they make meanwhile
    # outdates this result instead of hiding under the new version.
    key = RESULT_KEY.format(
        user_id=user.pk, type=type, algorithm=algorithm, version=_version(user.pk)
    )
    started = time.time()
    user = User.objects.get(pk=user.pk)
    result = recommendations_compute(user=user, type=type, algorithm=algorithm)
    result["built_at"] = started
    cache.set(key, result, settings.RECOMMENDATIONS_PRECOMPUTE_TTL)


def _stale(result: dict[str, Any]) -> bool:
    keys = [
        STAMP_KEY.format(kind=item["kind"], item_id=item["id"])
        for item in result["recommendations"]
    ]
    stamps = cache.get_many(keys) if keys else {}
    return any(stamp >= result["built_at"] for stamp in stamps.values())


def interaction_list(*, user: User, kind: str | None = None) -> QuerySet[Interaction]:
    """One's history, newest first; ``kind`` narrows it (an unknown kind is ignored)."""
    interactions = Interaction.objects.filter(user=user)
    if kind in InteractionKind.values:
        interactions = interactions.filter(kind=kind)
    return interactions.order_by("-created_at", "-id")
