"""Feed benchmark: the composed personal feed at 1,000,000 events on PostgreSQL.

    .venv/bin/python bench/feed.py                 # or: make bench-feed  (about 3 minutes)
    .venv/bin/python bench/feed.py --events 200000 # smaller

Starts a throwaway PostgreSQL 15 (``scripts/services.sh``), migrates it and loads, with SQL
inside the database (``generate_series``, a fixed ``setseed``): 10,000 users (industries of
interest and 3 skills each), ~200 follows per user (150 people, 50 startups among 2,000),
1,000,000 events over 90 days (80 % public startup/opportunity events, 20 % private, 30 %
tagged with a skill). Then, for 50 users, times through the service layer -- the two sources,
the composition, the unread count and the serialisation, as ``GET /api/v1/feed/`` runs them --
the first page of 20 and page 10 (reached through the cursor), and counts the queries of each;
and the unread count (``GET /api/v1/feed/unread/``). Each figure is the median of 3 runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from common import arguments_or_child, machine_line, percentile  # noqa: E402

INDUSTRIES = ["ai", "fintech", "health", "climate", "edtech", "devtools", "security", "gaming"]


def load(args: argparse.Namespace) -> float:
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import Skill, User

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    skills = Skill.objects.bulk_create(Skill(name=f"skill-{i}") for i in range(60))
    user_type = ContentType.objects.get_for_model(User).pk
    startup_type = ContentType.objects.get_by_natural_key("startups", "startup").pk
    industries = "ARRAY[" + ",".join(f"'{i}'" for i in INDUSTRIES) + "]"
    first_skill = skills[0].pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute(
            f"""
            INSERT INTO accounts_user (password, is_superuser, email, name, role, headline, bio,
                location, interests, availability, is_active, is_staff, date_joined, updated_at)
            SELECT '!', false, 'feed' || g || '@bench.invalid', 'User ' || g, 'talent', '', '',
                   '', to_jsonb(ARRAY[({industries})[1 + (g % 8)],
                                      ({industries})[1 + ((g / 8) % 8)]]),
                   'open', true, false, now(), now()
            FROM generate_series(1, {args.users}) g
            """
        )
        cursor.execute("SELECT min(id), max(id) FROM accounts_user")
        low, high = cursor.fetchone()
        span = high - low + 1
        cursor.execute(
            f"""
            INSERT INTO accounts_user_skills (user_id, skill_id)
            SELECT DISTINCT u.id, {first_skill} + floor(random() * 60)::int
            FROM accounts_user u, generate_series(1, 3)
            ON CONFLICT DO NOTHING
            """
        )
        # ~150 people and ~50 startups each (duplicates dropped by the unique constraint).
        cursor.execute(
            f"""
            INSERT INTO feed_follow (follower_id, target_type_id, target_id, created_at)
            SELECT u.id,
                   CASE WHEN f <= 150 THEN {user_type} ELSE {startup_type} END,
                   CASE WHEN f <= 150 THEN {low} + floor(random() * {span})::int
                        ELSE 1 + floor(random() * {args.startups})::int END,
                   now()
            FROM accounts_user u, generate_series(1, 200) f
            ON CONFLICT DO NOTHING
            """
        )
        cursor.execute(
            f"""
            INSERT INTO feed_activityevent (actor_id, action_type, snapshot, startup_id, industry,
                is_public, recipients, request_id, created_at, dispatched_at, dispatch_attempts)
            SELECT {low} + floor(random() * {span})::int,
                   (ARRAY['startup_created', 'opportunity_posted', 'startup_updated',
                          'application_created'])[1 + floor(random() * 4)::int],
                   jsonb_build_object('type', 'opportunity', 'title', 'Role ' || g,
                                      'startup', jsonb_build_object('id', g % {args.startups},
                                                                    'name', 'Startup ' || g)),
                   1 + floor(random() * {args.startups})::int,
                   ({industries})[1 + floor(random() * 8)::int],
                   random() < 0.8, '[]'::jsonb, '',
                   now() - random() * interval '90 days', now(), 1
            FROM generate_series(1, {args.events}) g
            """
        )
        cursor.execute(
            f"""
            INSERT INTO feed_activityevent_skills (activityevent_id, skill_id)
            SELECT id, {first_skill} + floor(random() * 60)::int
            FROM feed_activityevent WHERE random() < 0.3
            """
        )
        cursor.execute(
            """
            INSERT INTO feed_eventaudience (event_id, user_id)
            SELECT id, actor_id FROM feed_activityevent WHERE NOT is_public
            """
        )
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def child(args: argparse.Namespace) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collabhub.settings")
    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from feed import selectors
    from feed.models import ActivityEvent, Follow
    from feed.serializers import EventSerializer

    load_seconds = load(args)
    users = list(User.objects.order_by("id")[:: max(1, args.users // 50)][:50])

    def page(user: User, cursor: str | None) -> tuple[float, int, str | None]:
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            fresh = User.objects.get(pk=user.pk)  # as the request's authentication does
            result = selectors.feed_page_get(user=fresh, size=20, cursor=cursor, personal_share=0.6)
            EventSerializer(result.events, many=True).data  # noqa: B018 - rendering is part of it
            elapsed = (time.perf_counter() - started) * 1000
        return elapsed, len(queries), result.next_cursor

    def unread(user: User) -> float:
        started = time.perf_counter()
        selectors.feed_unread_count(user=User.objects.get(pk=user.pk))
        return (time.perf_counter() - started) * 1000

    first: list[float] = []
    tenth: list[float] = []
    unread_ms: list[float] = []
    query_counts: set[int] = set()
    for user in users[:3]:  # warm the connection and the caches
        page(user, None)
    for user in users:
        runs = []
        for _ in range(3):
            runs.append(page(user, None))
        first.append(statistics.median(ms for ms, _, _ in runs))
        query_counts |= {count for _, count, _ in runs}
        cursor = runs[0][2]
        for _ in range(8):  # pages 2..9, to reach page 10's cursor
            cursor = page(user, cursor)[2]
        runs = [page(user, cursor) for _ in range(3)]
        tenth.append(statistics.median(ms for ms, _, _ in runs))
        query_counts |= {count for _, count, _ in runs}
        unread_ms.append(statistics.median(unread(user) for _ in range(3)))

    print(
        json.dumps(
            {
                "events": ActivityEvent.objects.count(),
                "users": User.objects.count(),
                "follows": Follow.objects.count(),
                "load_seconds": round(load_seconds, 1),
                "first": first,
                "tenth": tenth,
                "unread": unread_ms,
                "queries": sorted(query_counts),
            }
        )
    )


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
    result = child_on_postgres(__file__, [*child_args, "--startups", str(args.startups)], "feed")
    print(f"PostgreSQL: {result['users']:,} users, {result['follows']:,} follows, "
          f"{result['events']:,} events, loaded in {result['load_seconds']} s")  # fmt: skip
    for label, key in (("first page", "first"), ("page 10", "tenth"), ("unread", "unread")):
        values = result[key]
        print(f"  {label:10} (50 users): p50 {statistics.median(values):.1f} ms, "
              f"p95 {percentile(values, 95):.1f} ms, max {max(values):.1f} ms")  # fmt: skip
    print(f"  queries per page: {result['queries']} (the same on every page)")


if __name__ == "__main__":
    main()
