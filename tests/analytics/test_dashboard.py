"""The staff dashboard: figures kept as things happen (rollups), read without scanning the
event table, staff only."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from analytics import counters, selectors
from analytics.models import Granularity, Rollup
from analytics.services import rollups_rebuild
from startups import services as startup_services
from tests.accounts.factories import UserFactory
from tests.feed.factories import ActivityEventFactory

pytestmark = pytest.mark.django_db

DASHBOARD = "/api/v1/analytics/dashboard/"


@pytest.fixture
def staff(client_for):
    return client_for(UserFactory(is_staff=True))


def test_only_staff_may_read_it(client_for) -> None:
    assert client_for(UserFactory()).get(DASHBOARD).status_code == 403
    assert client_for(None).get(DASHBOARD).status_code == 401


def test_an_unknown_range_is_a_400(staff) -> None:
    response = staff.get(DASHBOARD, {"timerange": "1y"})
    assert response.status_code == 400
    assert "timerange" in response.json()["error"]["fields"]


def test_what_happens_shows_up(staff, client_for, committed, startup, opportunity) -> None:
    with committed():
        for n in range(3):
            signup = client_for(None).post(
                "/api/v1/auth/register/",
                {
                    "email": f"new{n}@example.com",
                    "password": "a long enough passphrase 1",
                    "name": f"New {n}",
                    "role": "talent",
                },
                format="json",
            )
            assert signup.status_code == 201, signup.json()
        fan = UserFactory()
        applicant = UserFactory()
    with committed():
        assert client_for(fan).post(f"/api/v1/startups/{startup.pk}/follow/").status_code == 201
        startup_services.application_create(
            opportunity=opportunity, applicant=applicant, cover_letter="Hello"
        )
        client_for(fan).get("/api/v1/feed/")
        client_for(fan).get("/api/v1/startups/999999/")  # a 404 counts as a request

    body = staff.get(DASHBOARD, {"timerange": "1h"}).json()

    totals = body["totals"]
    assert totals["signups"] >= 3
    assert totals["applications"] == 1
    assert body["events_by_type"]["startup_followed"] == 1
    assert totals["feed_pages"] == 1
    assert totals["active_users"] >= 2  # the fan (requests, a follow) and the applicant
    assert totals["api_requests"] >= 6
    assert totals["p95_ms"] is not None
    assert body["top_startups"][0] == {
        "id": startup.pk,
        "name": startup.name,
        "engagement": 2,  # a follow and an application
    }
    assert len(body["series"]["t"]) == 60
    assert sum(body["series"]["signups"]) == totals["signups"]


@pytest.mark.parametrize(
    ("timerange", "points", "granularity"),
    [("1h", 60, "m"), ("24h", 24, "h"), ("7d", 168, "h"), ("30d", 30, "d")],
)
def test_each_range_reads_its_own_buckets(timerange: str, points: int, granularity: str) -> None:
    now = datetime(2026, 11, 30, 12, 30, 15, tzinfo=UTC)
    counters.count("signups", at=now - timedelta(minutes=5))
    counters.count("signups", at=now - timedelta(hours=5))
    counters.count("signups", at=now - timedelta(days=5))
    counters.count("signups", at=now - timedelta(days=40))  # out of every range

    body = selectors.dashboard_get(timerange=timerange, now=now)

    assert body["granularity"] == granularity
    assert len(body["series"]["t"]) == len(body["series"]["signups"]) == points
    expected = {"1h": 1, "24h": 2, "7d": 3, "30d": 3}[timerange]
    assert body["totals"]["signups"] == expected


def test_counts_add_up_across_flushes_and_active_people_count_once() -> None:
    at = datetime(2026, 11, 30, 12, 30, tzinfo=UTC)
    for _ in range(3):
        counters.count("events", "startup_created", at=at)
        counters.count("active_user", "7", at=at)
        counters.flush()

    rows = {
        (row.metric, row.granularity): row.count for row in Rollup.objects.filter(bucket__lte=at)
    }
    assert rows[("events", Granularity.MINUTE)] == 3
    assert rows[("events", Granularity.HOUR)] == 3
    assert rows[("events", Granularity.DAY)] == 3
    assert rows[("active_user", Granularity.MINUTE)] == 1
    assert rows[("active_user", Granularity.HOUR)] == 1


def test_the_dashboard_never_reads_the_event_table(staff) -> None:
    counters.count("events", "startup_created")
    with CaptureQueriesContext(connection) as queries:
        for timerange in selectors.RANGES:
            assert staff.get(DASHBOARD, {"timerange": timerange}).status_code == 200
    assert not [q["sql"] for q in queries.captured_queries if "feed_activityevent" in q["sql"]]


def test_rollups_are_rebuilt_from_rows_written_in_bulk_and_a_rebuild_is_idempotent(
    startup,
) -> None:
    """seed_demo bulk-inserts (no signals): the rebuild counts the rows themselves."""
    people = UserFactory.create_batch(4)
    now = datetime.now(UTC)
    for n, person in enumerate(people):
        ActivityEventFactory(
            actor=person,
            action_type="startup_followed",
            startup_id=startup.pk,
            created_at=now - timedelta(minutes=n),
        )
    ActivityEventFactory(actor=people[0], action_type="startup_created", created_at=now)

    for _ in range(2):
        rollups_rebuild()
        totals = selectors.dashboard_get(timerange="24h")["totals"]
        assert totals["events"] == 5
        assert totals["active_users"] == 4
        assert totals["signups"] == User.objects.count()
        top = selectors.dashboard_get(timerange="24h")["top_startups"]
        assert top == [{"id": startup.pk, "name": startup.name, "engagement": 4}]


def test_active_people_are_totalled_once_per_bucket_across_flushes() -> None:
    at = datetime.now(UTC).replace(second=0, microsecond=0)
    for person in ("1", "1", "2"):  # person 1 twice, in two flushes
        counters.count("active_user", person, at=at)
        counters.flush()

    totals = {row.granularity: row.count for row in Rollup.objects.filter(metric="active_users")}
    assert totals == {Granularity.MINUTE: 2, Granularity.HOUR: 2, Granularity.DAY: 2}
    body = selectors.dashboard_get(timerange="1h", now=at)
    assert body["totals"]["active_users"] == 2
    assert body["series"]["active_users"][-1] == 2


def test_a_failing_flush_fails_no_request_and_loses_no_count(client_for, monkeypatch) -> None:
    """The database refusing the counters' write (here: the connection gone) is logged;
    the request answers as usual and the counts are written by a later flush."""
    from django.db import InterfaceError

    def refused(*args, **kwargs):
        raise InterfaceError("connection already closed")

    monkeypatch.setattr(counters, "_upsert", refused)
    counters.count("events", "startup_created", n=3)
    assert counters.flush() == 0
    response = client_for(UserFactory()).get("/api/v1/startups/")
    assert response.status_code == 200

    monkeypatch.undo()
    assert counters.flush() > 0  # (by hand: the automatic one waits RETRY_AFTER)
    rows = Rollup.objects.filter(metric="events", granularity=Granularity.MINUTE)
    assert sum(row.count for row in rows) == 3


def test_old_buckets_are_pruned_and_recent_ones_kept() -> None:
    from analytics.services import rollups_prune

    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    counters.count("events", "startup_created", at=now - timedelta(days=3))
    counters.count("events", "startup_created", at=now - timedelta(hours=1))
    counters.flush()

    assert rollups_prune(now=now) == 1  # the 3-day-old minute
    kept = set(Rollup.objects.values_list("granularity", "bucket"))
    assert (Granularity.MINUTE, now - timedelta(hours=1)) in kept
    assert (Granularity.HOUR, now - timedelta(days=3)) in kept
    assert (Granularity.DAY, now - timedelta(days=3, hours=12)) in kept


@pytest.mark.django_db(transaction=True)
def test_in_production_a_thread_writes_the_counts_not_the_request(settings) -> None:
    settings.ANALYTICS_BACKGROUND_FLUSH = True
    counters.count("events", "startup_created", n=2)  # starts this process's flusher

    waited = 0.0
    while not Rollup.objects.filter(metric="events").exists() and waited < 10:
        time.sleep(0.2)
        waited += 0.2

    assert sum(r.count for r in Rollup.objects.filter(metric="events", granularity="m")) == 2
    assert any(t.name == "analytics-flush" for t in threading.enumerate())
