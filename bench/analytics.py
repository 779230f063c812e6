"""Analytics benchmark: the staff dashboard at 1,000,000 events on PostgreSQL, against a
naive aggregation of the same figures over the event table, in the same run.

    .venv/bin/python bench/analytics.py                  # or: make bench-analytics
    .venv/bin/python bench/analytics.py --events 200000  # smaller

Starts a throwaway PostgreSQL 15 (``scripts/services.sh``), migrates it and loads, with SQL
inside the database (a fixed ``setseed``): 10,000 users who joined over 30 days, 2,000
startups and 1,000,000 events over 30 days (ten action types, two thirds about a startup).
``manage.py analytics_rebuild`` then derives the rollups from those rows, once (timed). Then,
for each range (1h, 24h, 7d, 30d), ``GET /api/v1/analytics/dashboard/`` as its selector runs
it (20 times: p50 / p95), and the naive way -- the same totals, events by type, active people
and top startups computed with GROUP BY over ``feed_activityevent`` for the range (5 times).
The goal: p95 <= 200 ms for every range at 1M events. Also timed: the live dashboard's
snapshot (``analytics.live.live_snapshot``), which one process builds every
``ANALYTICS_LIVE_INTERVAL`` seconds while staff watch.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from common import arguments_or_child, machine_line, percentile  # noqa: E402

ACTIONS = [
    "startup_created", "startup_updated", "startup_followed", "startup_saved",
    "opportunity_posted", "opportunity_saved", "application_created", "user_followed",
    "message_sent", "recommendation_viewed",
]  # fmt: skip
RANGES = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7),
          "30d": timedelta(days=30)}  # fmt: skip


def load(args: argparse.Namespace) -> float:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    actions = "ARRAY[" + ",".join(f"'{a}'" for a in ACTIONS) + "]"
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            f"""
            INSERT INTO accounts_user (password, is_superuser, email, name, role, headline, bio,
                location, interests, availability, is_active, is_staff, date_joined, updated_at)
            SELECT '!', false, 'analytics' || g || '@bench.invalid', 'User ' || g, 'talent',
                   '', '', '', '[]'::jsonb, 'open', true, false,
                   now() - random() * interval '30 days', now()
            FROM generate_series(1, {args.users}) g
            """
        )
        cursor.execute("SELECT min(id), max(id) FROM accounts_user")
        low, high = cursor.fetchone()
        span = high - low + 1
        cursor.execute(
            f"""
            INSERT INTO startups_startup (owner_id, name, slug, tagline, description, industry,
                stage, location, remote_friendly, website, team_size, funding_raised,
                created_at, updated_at)
            SELECT {low} + (g % {span}), 'Startup ' || g, 'startup-' || g, '', '', 'ai',
                   'seed', '', true, '', 1, 0, now(), now()
            FROM generate_series(1, {args.startups}) g
            """
        )
        cursor.execute("SELECT min(id) FROM startups_startup")
        (first_startup,) = cursor.fetchone()
        cursor.execute(
            f"""
            INSERT INTO feed_activityevent (actor_id, action_type, snapshot, startup_id, industry,
                is_public, recipients, request_id, created_at, dispatched_at, dispatch_attempts)
            SELECT {low} + floor(random() * {span})::int,
                   ({actions})[1 + floor(random() * {len(ACTIONS)})::int],
                   '{{}}'::jsonb,
                   CASE WHEN random() < 0.66
                        THEN {first_startup} + floor(random() * {args.startups})::int END,
                   '', true, '[]'::jsonb, '',
                   now() - random() * interval '30 days', now(), 1
            FROM generate_series(1, {args.events}) g
            """
        )
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def naive(timerange: str) -> dict[str, Any]:
    """The same figures, the obvious way: GROUP BY over the events (and users) of the range."""
    from django.db.models import Count

    from accounts.models import User
    from analytics.receivers import ENGAGEMENT
    from feed.models import ActivityEvent

    since = datetime.now(UTC) - RANGES[timerange]
    events = ActivityEvent.objects.filter(created_at__gte=since)
    by_type = dict(events.values_list("action_type").annotate(n=Count("pk")))
    return {
        "events": sum(by_type.values()),
        "by_type": by_type,
        "active_users": events.values("actor_id").distinct().count(),
        "signups": User.objects.filter(date_joined__gte=since).count(),
        "top": list(
            events.filter(action_type__in=ENGAGEMENT, startup_id__isnull=False)
            .values("startup_id")
            .annotate(n=Count("pk"))
            .order_by("-n")[:10]
        ),
    }


def timed(function: Any, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        out.append((time.perf_counter() - started) * 1000)
    return out


def child(args: argparse.Namespace) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collabhub.settings")
    django.setup()
    from analytics import selectors
    from analytics.live import live_snapshot
    from analytics.services import rollups_rebuild
    from feed.models import ActivityEvent

    load_seconds = load(args)
    started = time.perf_counter()
    rollups_rebuild()
    rebuild_seconds = time.perf_counter() - started
    result: dict[str, Any] = {
        "events": ActivityEvent.objects.count(),
        "load_seconds": round(load_seconds, 1),
        "rebuild_seconds": round(rebuild_seconds, 1),
        "ranges": {},
    }
    for timerange in RANGES:
        selectors.dashboard_get(timerange=timerange)  # warm
        rollup_ms = timed(lambda t=timerange: selectors.dashboard_get(timerange=t), 20)
        naive_ms = timed(lambda t=timerange: naive(t), 5)
        result["ranges"][timerange] = {"rollups": rollup_ms, "naive": naive_ms}
    result["snapshot"] = timed(live_snapshot, 20)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--startups", type=int, default=2_000)
    args = arguments_or_child(parser, child)
    if args is None:
        return
    from run import child_on_postgres

    print(machine_line())
    child_args = ["--users", str(args.users), "--events", str(args.events)]
    result = child_on_postgres(
        __file__, [*child_args, "--startups", str(args.startups)], "analytics"
    )
    print(f"PostgreSQL: {result['events']:,} events, loaded in {result['load_seconds']} s; "
          f"rollups rebuilt from them in {result['rebuild_seconds']} s")  # fmt: skip
    for timerange, figures in result["ranges"].items():
        rollup, scan = figures["rollups"], figures["naive"]
        p95 = percentile(rollup, 95)
        verdict = "meets" if p95 <= 200 else "MISSES"
        ratio = statistics.median(scan) / statistics.median(rollup)
        print(f"  {timerange:>3}: dashboard p50 {statistics.median(rollup):.1f} ms, "
              f"p95 {p95:.1f} ms ({verdict} 200 ms); naive scan p50 "
              f"{statistics.median(scan):.0f} ms ({ratio:.1f}x the dashboard)")  # fmt: skip
    shot = result["snapshot"]
    print(f"  the live dashboard's snapshot (every range's totals, the latest buckets): p50 "
          f"{statistics.median(shot):.1f} ms, p95 {percentile(shot, 95):.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
