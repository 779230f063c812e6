"""Writes of analytics besides the counters: re-deriving rollups from the stored rows."""

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncMinute

from accounts.models import User
from analytics import counters
from analytics.models import Rollup
from analytics.receivers import ENGAGEMENT
from feed.models import ActivityEvent

# What the stored rows can tell again; request counts and served pages cannot be re-derived.
DERIVABLE = ("events", "signups", "startup_engagement")


@transaction.atomic
def rollups_rebuild(*, days: int | None = None) -> int:
    """Count again, from the event store and the users, the rollups of the last ``days`` (all
    time for None) -- after a bulk load (``seed_demo`` writes rows without signals) or to
    repair them. One scan of those rows, grouped by minute in the database; active people
    are added from the events' actors (their API requests of the past are not known).
    Returns the rows written."""
    since = None
    if days is not None:
        since = (datetime.now(UTC) - timedelta(days=days)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
    stale = Rollup.objects.filter(metric__in=DERIVABLE)
    events = ActivityEvent.objects.all()
    users = User.objects.all()
    if since is not None:
        stale = stale.filter(bucket__gte=since)
        events = events.filter(created_at__gte=since)
        users = users.filter(date_joined__gte=since)
    stale.delete()
    counters.flush()  # what was buffered before is not counted twice
    minute = TruncMinute("created_at")
    for at, action, n in (
        events.annotate(m=minute).values("m", "action_type").annotate(n=Count("pk"))
    ).values_list("m", "action_type", "n"):
        counters.count("events", action, n=n, at=at)
    for at, actor_id in (
        events.exclude(actor=None).annotate(m=minute).values_list("m", "actor_id").distinct()
    ):
        counters.count("active_user", str(actor_id), at=at)
    for at, startup_id, n in (
        events.filter(action_type__in=ENGAGEMENT, startup_id__isnull=False)
        .annotate(m=minute)
        .values("m", "startup_id")
        .annotate(n=Count("pk"))
        .values_list("m", "startup_id", "n")
    ):
        counters.count("startup_engagement", str(startup_id), n=n, at=at)
    for at, n in (
        users.annotate(m=TruncMinute("date_joined")).values("m").annotate(n=Count("pk"))
    ).values_list("m", "n"):
        counters.count("signups", n=n, at=at)
    return counters.flush()
