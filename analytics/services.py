"""Writes of analytics besides the counters: re-deriving rollups from the stored rows."""

from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, Max, Min, OuterRef
from django.db.models.functions import TruncMinute

from accounts.models import User
from analytics import counters, trending
from analytics.models import EngagedPerson, Granularity, Insight, Rollup, UserEngagement
from analytics.receivers import ENGAGEMENT
from feed.models import ActivityEvent

# What the stored rows can tell again; request counts, served pages and views cannot be.
DERIVABLE = ("events", "signups", "startup_engagement", "trend")


@transaction.atomic
def rollups_rebuild(*, days: int | None = None) -> int:
    """Count again, from the event store and the users, the rollups of the last ``days`` (all
    time for None) -- after a bulk load (``seed_demo`` writes rows without signals) or to
    repair them. One scan of those rows, grouped by minute in the database; active people
    are added from the events' actors (their API requests of the past are not known), and
    the per-bucket totals of active people are counted again. Returns the rows written."""
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
    counters.flush(raise_errors=True)  # first: what was buffered is in the rows deleted below
    stale.delete()
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
    # Trending: the engagement counts, and each person's latest engagement per item (kept
    # forward only, so counting again changes nothing; gone with their events, rows stay).
    for at, action, actor_id, startup_id, target_id, opportunity_id in (
        events.filter(action_type__in=trending.ENGAGING_EVENTS)
        .annotate(m=minute)
        .values_list(
            "m", "action_type", "actor_id", "startup_id", "target_id", "snapshot__opportunity_id"
        )
        .iterator(chunk_size=2000)
    ):
        for kind, item, name in trending.engagements(
            action=action, startup_id=startup_id, target_id=target_id, opportunity_id=opportunity_id
        ):
            counters.count("trend", f"{kind}:{item}:{name}", at=at)
            if actor_id is not None:
                counters.count(counters.ENGAGED, f"{kind}:{item}:{actor_id}", at=at)
    written = counters.flush(raise_errors=True)
    # The per-bucket totals of active people, counted again from their rows.
    totals = Rollup.objects.filter(metric="active_users")
    people = Rollup.objects.filter(metric="active_user")
    if since is not None:
        totals, people = totals.filter(bucket__gte=since), people.filter(bucket__gte=since)
    totals.delete()
    Rollup.objects.bulk_create(
        Rollup(metric="active_users", granularity=granularity, bucket=bucket, count=n)
        for granularity, bucket, n in people.values("granularity", "bucket")
        .annotate(n=Count("pk"))
        .values_list("granularity", "bucket", "n")
    )
    return written


# --- insights, materialised hourly ------------------------------------------------------------
SAVE_OR_FOLLOW = ("startup_saved", "opportunity_saved", "startup_followed", "user_followed")
COUNTED = {
    "saves": ("startup_saved", "opportunity_saved"),
    "follows": ("startup_followed", "user_followed"),
    "applications": ("application_created",),
    "messages": ("message_sent",),
    "recommendations_opened": ("recommendation_viewed",),
}
FUNNEL_DAYS = 90
COHORT_WEEKS = 8


def _funnel(now: datetime) -> dict[str, Any]:
    """Of the people who joined in the last 90 days: how many completed their profile
    (a headline and a skill), then saved or followed something, then applied."""
    cohort = User.objects.filter(date_joined__gte=now - timedelta(days=FUNNEL_DAYS))
    acted = ActivityEvent.objects.filter(actor=OuterRef("pk"))
    has_skill = Exists(User.skills.through.objects.filter(user_id=OuterRef("pk")))
    saved_or_followed = Exists(acted.filter(action_type__in=SAVE_OR_FOLLOW))
    applied = Exists(acted.filter(action_type="application_created"))
    # Each step among those who took the one before.
    complete = cohort.exclude(headline="").filter(has_skill)
    engaged = complete.filter(saved_or_followed)
    steps = [
        ("signed_up", cohort.count()),
        ("profile_complete", complete.count()),
        ("saved_or_followed", engaged.count()),
        ("applied", engaged.filter(applied).count()),
    ]
    first = steps[0][1]
    out, previous = [], None
    for name, n in steps:
        out.append(
            {
                "step": name,
                "people": n,
                "of_signed_up": round(n / first, 4) if first else 0.0,
                "of_previous": round(n / previous, 4) if previous else (1.0 if n else 0.0),
            }
        )
        previous = n
    return {"days": FUNNEL_DAYS, "steps": out}


def _week_start(moment: datetime) -> datetime:
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def _retention(now: datetime) -> dict[str, Any]:
    """Weekly cohorts by sign-up week (the last 8): the share of each cohort active (an
    event, or a signed-in API request: the ``active_user`` day rollups) in each week since."""
    this_week = _week_start(now)
    cohorts = []
    for back in range(COHORT_WEEKS - 1, -1, -1):
        start = this_week - timedelta(weeks=back)
        ids = [
            str(pk)
            for pk in User.objects.filter(
                date_joined__gte=start, date_joined__lt=start + timedelta(weeks=1)
            ).values_list("pk", flat=True)
        ]
        weeks: list[set[str]] = [set() for _ in range(back + 1)]
        active: list[tuple[str, datetime]] = []
        for chunk_start in range(0, len(ids), 500):  # bounded IN lists (SQLite's limit)
            active += Rollup.objects.filter(
                metric="active_user",
                granularity=Granularity.DAY,
                bucket__gte=start,
                dimension__in=ids[chunk_start : chunk_start + 500],
            ).values_list("dimension", "bucket")
        for dimension, bucket in active:
            index = (bucket.astimezone(UTC) - start).days // 7
            if 0 <= index <= back:
                weeks[index].add(dimension)
        cohorts.append(
            {
                "week": start.date().isoformat(),
                "people": len(ids),
                "active": [round(len(week) / len(ids), 4) if ids else 0.0 for week in weeks],
            }
        )
    return {"cohorts": cohorts}


def _active_hours(now: datetime) -> dict[str, Any]:
    """Events per hour of the day (UTC) over the last 30 days, from the hour rollups."""
    hours = [0] * 24
    for bucket, n in Rollup.objects.filter(
        metric="events", granularity=Granularity.HOUR, bucket__gte=now - timedelta(days=30)
    ).values_list("bucket", "count"):
        hours[bucket.astimezone(UTC).hour] += n
    peak = max(range(24), key=lambda hour: hours[hour]) if any(hours) else None
    return {"events_by_hour_utc": hours, "peak_hour_utc": peak}


def _engagement(now: datetime) -> int:
    """Each person's summary, from one grouped scan of their events and the day rollups."""
    since = now - timedelta(days=30)
    rows: dict[int, dict[str, Any]] = {}
    for actor_id, action, n, first, last in (
        ActivityEvent.objects.exclude(actor=None)
        .values("actor_id", "action_type")
        .annotate(n=Count("pk"), first=Min("created_at"), last=Max("created_at"))
        .values_list("actor_id", "action_type", "n", "first", "last")
    ):
        row = rows.setdefault(actor_id, {"last_active_at": last})
        row["last_active_at"] = max(row["last_active_at"], last)
        for field, actions in COUNTED.items():
            if action in actions:
                row[field] = row.get(field, 0) + n
        if action in SAVE_OR_FOLLOW or action == "application_created":
            earliest = row.get("first_engaged_at")
            row["first_engaged_at"] = first if earliest is None else min(earliest, first)
        if action == "application_created":
            row["first_applied_at"] = first
    for actor_id, n in (
        ActivityEvent.objects.filter(created_at__gte=since)
        .exclude(actor=None)
        .values("actor_id")
        .annotate(n=Count("pk"))
        .values_list("actor_id", "n")
    ):
        rows.setdefault(actor_id, {})["events_30d"] = n
    for dimension, n in (
        Rollup.objects.filter(metric="active_user", granularity=Granularity.DAY, bucket__gte=since)
        .values("dimension")
        .annotate(n=Count("pk"))
        .values_list("dimension", "n")
    ):
        if dimension.isdigit():
            rows.setdefault(int(dimension), {})["active_days_30d"] = min(n, 31)
    existing = set(User.objects.values_list("pk", flat=True))  # no IN list of every id
    fields = [f.name for f in UserEngagement._meta.fields if f.name not in ("user",)]
    objects = [
        UserEngagement(user_id=pk, computed_at=now, **values)
        for pk, values in rows.items()
        if pk in existing
    ]
    UserEngagement.objects.bulk_create(
        objects,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=fields,
    )
    # People with nothing left to count are summarised as nothing, not as they were.
    UserEngagement.objects.filter(computed_at__lt=now).delete()
    return len(objects)


def insights_refresh(*, now: datetime | None = None) -> dict[str, int]:
    """The hourly job: the platform insights and every engaged person's summary."""
    now = now or datetime.now(UTC)
    counters.flush()
    for name, compute in (
        ("funnel", _funnel),
        ("retention", _retention),
        ("active_hours", _active_hours),
    ):
        Insight.objects.update_or_create(
            name=name, defaults={"computed_at": now, "data": compute(now)}
        )
    return {"people": _engagement(now)}


# What a bucket is kept for: minutes serve the 1h range, hours the 24h and 7d ranges and the
# active hours; days stay (the 30d range, retention).
KEEP = {Granularity.MINUTE: timedelta(days=2), Granularity.HOUR: timedelta(days=90)}


def rollups_prune(*, now: datetime | None = None) -> int:
    """Delete the buckets no range reads any more; returns how many rows went."""
    now = now or datetime.now(UTC)
    deleted = 0
    for granularity, keep in KEEP.items():
        deleted += Rollup.objects.filter(granularity=granularity, bucket__lt=now - keep).delete()[0]
    # Engagement older than the longest trending window (and a day) ranks nothing any more.
    oldest = counters.epoch_minute(now - trending.LONGEST - timedelta(days=1))
    deleted += EngagedPerson.objects.filter(minute__lt=oldest).delete()[0]
    return deleted
