"""Behaviour insights: materialised by the hourly task, read as stored, staff only."""

from datetime import UTC, datetime, timedelta

import pytest

from analytics import counters
from analytics.services import insights_refresh
from tests.accounts.factories import UserFactory
from tests.feed.factories import ActivityEventFactory

pytestmark = pytest.mark.django_db

INSIGHTS = "/api/v1/analytics/insights/"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def staff(client_for):
    return client_for(UserFactory(is_staff=True, date_joined=NOW - timedelta(days=400)))


def test_only_staff_may_read_them(client_for) -> None:
    someone = UserFactory()
    for path in (INSIGHTS, f"{INSIGHTS}{someone.pk}/"):
        assert client_for(someone).get(path).status_code == 403
        assert client_for(None).get(path).status_code == 401


def test_before_the_first_refresh_nothing_is_made_up(staff) -> None:
    body = staff.get(INSIGHTS).json()
    assert body == {name: {"computed_at": None} for name in ("funnel", "retention", "active_hours")}
    person = UserFactory()
    assert staff.get(f"{INSIGHTS}{person.pk}/").json()["computed_at"] is None
    assert staff.get(f"{INSIGHTS}999999/").json()["error"]["code"] == "user_not_found"


def test_the_funnel_follows_each_step(staff) -> None:
    joined = NOW - timedelta(days=3)
    bare = UserFactory(headline="", skills=[], date_joined=joined)
    complete = [
        UserFactory(headline="Engineer", skills=["python"], date_joined=joined) for _ in range(3)
    ]
    ActivityEventFactory(actor=complete[0], action_type="startup_saved")
    ActivityEventFactory(actor=complete[1], action_type="user_followed")
    ActivityEventFactory(actor=complete[1], action_type="application_created")
    UserFactory(headline="Old", skills=["go"], date_joined=NOW - timedelta(days=200))  # too old
    # Applied without a profile: a sign-up, and nothing further down the funnel.
    ActivityEventFactory(actor=bare, action_type="application_created")

    insights_refresh(now=NOW)
    steps = staff.get(INSIGHTS).json()["funnel"]["steps"]

    assert [(s["step"], s["people"]) for s in steps] == [
        ("signed_up", 4),
        ("profile_complete", 3),
        ("saved_or_followed", 2),
        ("applied", 1),
    ]
    assert steps[3]["of_signed_up"] == 0.25 and steps[3]["of_previous"] == 0.5


def test_weekly_retention_cohorts_and_active_hours(staff) -> None:
    last_week = NOW - timedelta(weeks=1)  # a Monday too
    cohort = [UserFactory(date_joined=last_week + timedelta(hours=1)) for _ in range(4)]
    for person in cohort:  # all active the week they joined...
        counters.count("active_user", str(person.pk), at=last_week + timedelta(days=1))
    counters.count("active_user", str(cohort[0].pk), at=NOW)  # ...one of them this week
    counters.count("events", "startup_created", n=5, at=NOW - timedelta(hours=3))  # 09:00
    counters.count("events", "startup_created", n=2, at=NOW - timedelta(hours=5))  # 07:00
    counters.flush()

    insights_refresh(now=NOW)
    body = staff.get(INSIGHTS).json()

    weeks = {c["week"]: c for c in body["retention"]["cohorts"]}
    assert len(weeks) == 8
    assert weeks["2026-11-23"]["people"] == 4
    assert weeks["2026-11-23"]["active"] == [1.0, 0.25]
    assert body["active_hours"]["events_by_hour_utc"][9] == 5
    assert body["active_hours"]["peak_hour_utc"] == 9


def test_a_persons_engagement_is_summarised_and_served_as_stored(staff) -> None:
    person = UserFactory()
    recent = datetime.now(UTC) - timedelta(days=2)
    ActivityEventFactory(actor=person, action_type="startup_saved", created_at=recent)
    ActivityEventFactory(actor=person, action_type="application_created", created_at=recent)
    ActivityEventFactory(
        actor=person, action_type="message_sent", created_at=recent - timedelta(days=60)
    )

    insights_refresh()
    ActivityEventFactory(actor=person, action_type="startup_saved")  # after the refresh
    body = staff.get(f"{INSIGHTS}{person.pk}/").json()

    assert body["computed_at"] is not None
    assert (body["saves"], body["applications"], body["messages"]) == (1, 1, 1)
    assert body["events_30d"] == 2
    assert body["first_applied_at"] is not None
