"""The dashboard's figures, read from rollups only: a range reads at most a few hundred rows
per metric (60 minutes, 24 or 168 hours, 30 days), whatever the size of the event table."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import Count, Exists, F, FloatField, OuterRef, QuerySet, Sum, Value
from django.db.models.functions import Cast, Power

from accounts.models import User
from accounts.selectors import user_list
from analytics import counters, trending
from analytics.models import (
    ActivePerson,
    EngagedPerson,
    Granularity,
    Insight,
    Rollup,
    UserEngagement,
)
from analytics.receivers import LATENCY_BOUNDS_MS
from startups import selectors as startup_selectors
from startups.models import Opportunity, OpportunityStatus, Startup


@dataclass(frozen=True)
class Range:
    name: str
    span: timedelta
    granularity: str
    step: timedelta


RANGES = {
    "1h": Range("1h", timedelta(hours=1), Granularity.MINUTE, timedelta(minutes=1)),
    "24h": Range("24h", timedelta(hours=24), Granularity.HOUR, timedelta(hours=1)),
    "7d": Range("7d", timedelta(days=7), Granularity.HOUR, timedelta(hours=1)),
    "30d": Range("30d", timedelta(days=30), Granularity.DAY, timedelta(days=1)),
}
# Figures that are one count per bucket (the rest are derived or per dimension).
SERIES = ("signups", "events", "feed_pages", "recommendation_lists", "api_requests")
DERIVED_EVENTS = {
    "applications": "application_created",
    "messages": "message_sent",
    "recommendation_views": "recommendation_viewed",
}


def _floor(moment: datetime, granularity: str) -> datetime:
    return counters.buckets(moment.replace(second=0, microsecond=0))[granularity]


def _p95(histogram: dict[str, int]) -> float | None:
    """The upper bound (ms) of the latency bucket holding the 95th percentile; None without
    requests. Beyond the last bound it is that bound (3,200 ms: "at least"), never None."""
    total = sum(histogram.values())
    if not total:
        return None
    seen = 0
    for bound in LATENCY_BOUNDS_MS:
        seen += histogram.get(str(bound), 0)
        if seen >= 0.95 * total:
            return float(bound)
    return float(LATENCY_BOUNDS_MS[-1])


# metric -> dimension -> count, for one bucket or a whole range
Cells = dict[str, dict[str, int]]
# Only the per-bucket figures (the index is granularity, metric, bucket): never the rows of
# each active person or startup.
WANTED = [*SERIES, "active_users", "api_latency_ms"]


def _figures(cells: Cells) -> dict[str, Any]:
    """The dashboard's figures of a bucket, or (summed) of a range."""
    figures: dict[str, Any] = {metric: sum(cells.get(metric, {}).values()) for metric in SERIES}
    for name, action in DERIVED_EVENTS.items():
        figures[name] = cells.get("events", {}).get(action, 0)
    figures["api_errors"] = cells.get("api_requests", {}).get("5xx", 0)
    figures["active_users"] = sum(cells.get("active_users", {}).values())
    figures["p95_ms"] = _p95(cells.get("api_latency_ms", {}))
    return figures


def _totals(cells: Cells, spec: Range, start: datetime) -> dict[str, Any]:
    totals = _figures(cells)
    # People active since the range began: one indexed count (not the buckets' sum).
    totals["active_users"] = ActivePerson.objects.filter(last_active_at__gte=start).count()
    totals["api_requests_per_minute"] = round(
        totals["api_requests"] / (spec.span.total_seconds() / 60), 3
    )
    totals["error_rate"] = (
        totals["api_errors"] / totals["api_requests"] if totals["api_requests"] else 0.0
    )
    totals["recommendation_click_through"] = (
        totals["recommendation_views"] / totals["recommendation_lists"]
        if totals["recommendation_lists"]
        else 0.0
    )
    return totals


def _bounds(spec: Range, now: datetime | None) -> tuple[datetime, datetime]:
    """The first and the last (current) bucket of the range."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    end = _floor(now, spec.granularity)
    return end - spec.span + spec.step, end


def _summed(granularity: str, start: datetime, end: datetime | None = None) -> Cells:
    """The range's cells summed over its buckets: one grouped query."""
    rows = Rollup.objects.filter(granularity=granularity, bucket__gte=start, metric__in=WANTED)
    if end is not None:
        rows = rows.filter(bucket__lte=end)
    cells: Cells = {}
    for metric, dimension, n in (
        rows.values_list("metric", "dimension").annotate(n=Sum("count")).order_by()
    ):
        cells.setdefault(metric, {})[dimension] = n
    return cells


def range_totals(*, timerange: str, now: datetime | None = None) -> dict[str, Any]:
    """The totals of ``dashboard_get`` alone."""
    spec = RANGES[timerange]
    start, end = _bounds(spec, now)
    return _totals(_summed(spec.granularity, start, end), spec, start)


def recent_figures(*, since: datetime) -> dict[str, Any]:
    """The figures of the minutes since ``since`` together (p95 of all their requests)."""
    return _figures(_summed(Granularity.MINUTE, since))


def bucket_figures(*, granularity: str, since: datetime) -> dict[str, dict[str, Any]]:
    """The figures of each bucket of ``granularity`` from ``since`` on, by bucket (ISO)."""
    by_bucket: dict[datetime, Cells] = {}
    rows = Rollup.objects.filter(granularity=granularity, bucket__gte=since, metric__in=WANTED)
    for metric, dimension, bucket, n in rows.values_list("metric", "dimension", "bucket", "count"):
        cells = by_bucket.setdefault(bucket.astimezone(UTC), {})
        cells.setdefault(metric, {})[dimension] = n
    return {bucket.isoformat(): _figures(cells) for bucket, cells in sorted(by_bucket.items())}


def dashboard_get(*, timerange: str, now: datetime | None = None) -> dict[str, Any]:
    counters.flush()  # what this process counted so far is in the figures
    spec = RANGES[timerange]
    start, end = _bounds(spec, now)
    points = []
    moment = start
    while moment <= end:
        points.append(moment)
        moment += spec.step
    rows = Rollup.objects.filter(granularity=spec.granularity, bucket__gte=start, bucket__lte=end)

    by_bucket: dict[datetime, Cells] = {}
    merged: Cells = {}
    for metric, dimension, bucket, n in rows.filter(metric__in=WANTED).values_list(
        "metric", "dimension", "bucket", "count"
    ):
        cell = by_bucket.setdefault(bucket.astimezone(UTC), {}).setdefault(metric, {})
        cell[dimension] = cell.get(dimension, 0) + n
        merged.setdefault(metric, {})
        merged[metric][dimension] = merged[metric].get(dimension, 0) + n

    per_point = [_figures(by_bucket.get(point, {})) for point in points]
    figures = {name: [point[name] for point in per_point] for name in per_point[0]}
    totals = _totals(merged, spec, start)
    events_by_type = merged.get("events", {})
    # Per day beyond a day's range: a few rows per startup, not one per hour.
    engagement_granularity = Granularity.DAY if spec.span > timedelta(days=1) else spec.granularity
    top = list(
        Rollup.objects.filter(
            granularity=engagement_granularity,
            # Whole days inside the range (a partial first day is left out, not added).
            bucket__gte=_floor(
                start + timedelta(days=1) - timedelta(microseconds=1), engagement_granularity
            )
            if engagement_granularity == Granularity.DAY and spec.granularity != Granularity.DAY
            else _floor(start, engagement_granularity),
            bucket__lte=end,
            metric="startup_engagement",
        )
        .values("dimension")
        .annotate(n=Sum("count"))
        .order_by("-n", "dimension")[:10]
    )
    names = dict(
        Startup.objects.filter(pk__in=[int(row["dimension"]) for row in top]).values_list(
            "pk", "name"
        )
    )
    return {
        "timerange": spec.name,
        "granularity": spec.granularity,
        "from": start.isoformat(),
        "to": (end + spec.step).isoformat(),
        "totals": totals,
        "events_by_type": dict(sorted(events_by_type.items())),
        "series": {
            "t": [point.isoformat() for point in points],
            **figures,
        },
        "top_startups": [
            {
                "id": int(row["dimension"]),
                "name": names.get(int(row["dimension"]), ""),
                "engagement": row["n"],
            }
            for row in top
        ],
    }


INSIGHTS = ("funnel", "retention", "active_hours")


def insight_list() -> dict[str, Any]:
    stored = {insight.name: insight for insight in Insight.objects.filter(name__in=INSIGHTS)}
    return {
        name: (
            {"computed_at": stored[name].computed_at.isoformat(), **stored[name].data}
            if name in stored
            else {"computed_at": None}
        )
        for name in INSIGHTS
    }


def user_insight_get(*, user: User) -> dict[str, Any]:
    row = UserEngagement.objects.filter(user=user).first()
    fields = [f.name for f in UserEngagement._meta.fields if f.name not in ("user", "computed_at")]
    if row is None:
        return {"user_id": user.pk, "computed_at": None, **{f: None for f in fields}}
    values = {f: getattr(row, f) for f in fields}
    return {
        "user_id": user.pk,
        "computed_at": row.computed_at.isoformat(),
        **{f: v.isoformat() if isinstance(v, datetime) else v for f, v in values.items()},
    }


# --- trending ---------------------------------------------------------------------------------
TRENDING_MAX = 50  # ranked and cached per window and type; a request shows up to ``limit``
TRENDING_CACHE_SECONDS = 60
TRENDING_CACHE_KEY = "analytics:trending:{type}:{window}"
STEP: dict[str, timedelta] = {
    Granularity.MINUTE: timedelta(minutes=1),
    Granularity.HOUR: timedelta(hours=1),
}


def _trending_visible(type: str) -> QuerySet[Any]:
    """The items of a type anyone may see: startups, open opportunities, active people."""
    if type == trending.STARTUPS:
        return Startup.objects.all()
    if type == trending.OPPORTUNITIES:
        return Opportunity.objects.filter(status=OpportunityStatus.OPEN)
    return User.objects.filter(is_active=True)


def trending_ranking_get(*, window: str, type: str, now: datetime | None = None) -> dict[str, Any]:
    """The ranking of ``type`` over ``window``, cached for a minute (the same for everyone: ids
    and figures, nothing per viewer). With the cache down it is computed on each call."""
    key = TRENDING_CACHE_KEY.format(type=type, window=window)
    ranking: dict[str, Any] | None = cache.get(key) if now is None else None
    if ranking is None:
        ranking = trending_ranking_compute(window=window, type=type, now=now)
        if now is None:
            cache.set(key, ranking, TRENDING_CACHE_SECONDS)
    return ranking


def trending_ranking_compute(
    *, window: str, type: str, now: datetime | None = None
) -> dict[str, Any]:
    """Two queries, whatever the number of items or events. The top ``TRENDING_MAX`` visible
    items by distinct people engaging in the window, each weighted by how recent their latest
    engagement is (``EngagedPerson``: the sum and the order are computed by the database);
    then their counts in the window from the ``trend`` and ``trend_views`` rollups."""
    spec, kind = trending.WINDOWS[window], trending.KINDS[type]
    now = (now or datetime.now(UTC)).astimezone(UTC)
    end = _floor(now, spec.granularity)
    start = end - spec.span + STEP[spec.granularity]
    first, last = counters.epoch_minute(start), counters.epoch_minute(now)
    half_life = spec.half_life_minutes
    # 2 ** ((minute - first) / half_life): relative to the window's start, so it never
    # overflows; scaled to "now" below (one factor for all: the order is the same).
    weight = Power(Value(2.0), Cast(F("minute") - first, FloatField()) / Value(half_life))
    ranked = list(
        EngagedPerson.objects.filter(kind=kind, minute__gte=first, minute__lte=last)
        .filter(Exists(_trending_visible(type).filter(pk=OuterRef("item_id"))))
        .values("item_id")
        .annotate(people=Count("pk"), weight=Sum(weight))
        .order_by("-weight", "item_id")[:TRENDING_MAX]
    )
    ids = [row["item_id"] for row in ranked]
    wanted = [f"{kind}:{pk}:{action}" for pk in ids for action in trending.ACTIONS]
    wanted += [f"{kind}:{pk}" for pk in ids]
    counts: dict[int, dict[str, int]] = {
        pk: {"followers_gained": 0, "saves": 0, "applications": 0, "views": 0} for pk in ids
    }
    if ids:
        for metric, dimension, n in (
            Rollup.objects.filter(
                granularity=spec.granularity,
                metric__in=["trend", "trend_views"],
                bucket__gte=start,
                bucket__lte=end,
                dimension__in=wanted,
            )
            .values_list("metric", "dimension")
            .annotate(n=Sum("count"))
            .order_by()
        ):
            parts = dimension.split(":")
            name = "views" if metric == "trend_views" else trending.COUNT_NAMES[parts[2]]
            counts[int(parts[1])][name] += n
    scale = 2 ** (-(last - first) / half_life)
    return {
        "window": spec.name,
        "type": type,
        "from": start.isoformat(),
        "computed_at": now.isoformat(),
        "results": [
            {
                "id": row["item_id"],
                "score": round(row["weight"] * scale, 4),
                "people": row["people"],
                **counts[row["item_id"]],
                "reason": trending.reason(
                    window=spec, people=row["people"], counts=counts[row["item_id"]]
                ),
            }
            for row in ranked
        ],
    }


def trending_list(
    *, window: str, type: str, viewer: User | AnonymousUser, limit: int
) -> tuple[dict[str, Any], list[tuple[dict[str, Any], Any]]]:
    """The ranking (``trending_ranking_get``) and its first ``limit`` items as their lists
    show them to ``viewer`` (one query, and one for skills): an item deleted, closed or
    deactivated since the ranking was computed is left out."""
    ranking = trending_ranking_get(window=window, type=type)
    rows = ranking["results"][:limit]
    ids = [row["id"] for row in rows]
    items: QuerySet[Any]
    if type == trending.STARTUPS:
        items = startup_selectors.startup_list(viewer=viewer)
    elif type == trending.OPPORTUNITIES:
        items = startup_selectors.opportunity_list(viewer=viewer).filter(
            status=OpportunityStatus.OPEN
        )
    else:
        items = user_list()
    found = {item.pk: item for item in items.filter(pk__in=ids)} if ids else {}
    return ranking, [(row, found[row["id"]]) for row in rows if row["id"] in found]
