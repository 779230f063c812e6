"""How analytics learns what happens: it subscribes, and nobody calls it (connected in
``apps.py``). Each receiver only adds to the counters' buffer."""

from typing import Any

from django.db import transaction

# Events about a startup that show people engaging with it (its own edits do not).
ENGAGEMENT = frozenset(
    {
        "startup_followed",
        "startup_saved",
        "opportunity_saved",
        "application_created",
        "recommendation_viewed",
    }
)
LATENCY_BOUNDS_MS = (25, 50, 100, 200, 400, 800, 1600, 3200)  # and "inf"


def latency_bucket(seconds: float) -> str:
    ms = seconds * 1000
    return next((str(bound) for bound in LATENCY_BOUNDS_MS if ms <= bound), "inf")


def event_recorded(sender: Any, event: Any, **kwargs: Any) -> None:
    """Counted once the event commits (a rolled-back write happened not)."""
    from analytics import counters
    from analytics.trending import event_engagements

    action, actor_id, startup_id, at = (
        event.action_type,
        event.actor_id,
        event.startup_id,
        event.created_at,
    )
    engaged = event_engagements(event)

    def counted() -> None:
        counters.count("events", action, at=at)
        if actor_id is not None:
            counters.count("active_user", str(actor_id), at=at)
        if startup_id and action in ENGAGEMENT:
            counters.count("startup_engagement", str(startup_id), at=at)
        # Trending: the counts an item shows, and who engaged (each person once per item).
        for kind, item, name in engaged:
            counters.count("trend", f"{kind}:{item}:{name}", at=at)
            if actor_id is not None:
                counters.count(counters.ENGAGED, f"{kind}:{item}:{actor_id}", at=at)

    transaction.on_commit(counted, robust=True)


def user_saved(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    if created:
        from analytics import counters

        transaction.on_commit(
            lambda: counters.count("signups", at=instance.date_joined), robust=True
        )


def feed_served(sender: Any, user: Any, **kwargs: Any) -> None:
    from analytics import counters

    counters.count("feed_pages")


def recommendations_served(sender: Any, user: Any, **kwargs: Any) -> None:
    from analytics import counters

    counters.count("recommendation_lists")


def request_measured(
    sender: Any, route: str | None, status: int, seconds: float, user_id: int | None, **kwargs: Any
) -> None:
    """API requests only (not probes, the admin or static files)."""
    if not route or not route.startswith("api/v1/"):
        return
    from analytics import counters

    counters.count("api_requests", f"{status // 100}xx")
    counters.count("api_latency_ms", latency_bucket(seconds))
    if user_id is not None:
        counters.count("active_user", str(user_id))


def object_viewed(sender: Any, instance: Any, viewer: Any, **kwargs: Any) -> None:
    """A detail view of a startup, an opportunity or a person, for trending's ``views``; an
    owner looking at their own (a founder at their startup or role, anyone at their profile)
    is not counted."""
    from accounts.models import User
    from analytics import counters
    from startups.models import Opportunity, Startup

    viewer_id = viewer.pk if getattr(viewer, "is_authenticated", False) else None
    if sender is Startup:
        kind, owner_id = "s", instance.owner_id
    elif sender is Opportunity:
        kind, owner_id = "o", instance.startup.owner_id
    elif sender is User:
        kind, owner_id = "p", instance.pk
    else:
        return
    if viewer_id is None or viewer_id != owner_id:
        counters.count("trend_views", f"{kind}:{instance.pk}")
