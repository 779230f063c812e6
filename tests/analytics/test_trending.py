"""Trending: items ranked by the distinct people engaging with them, recent engagement
weighing more, read from rollups kept as things happen; views counted from detail pages;
public items only; cached briefly, computed when the cache is down."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from analytics import counters, selectors
from analytics.models import EngagedPerson, Rollup
from analytics.services import rollups_prune, rollups_rebuild
from feed import services as feed_services
from feed.models import ActivityEvent
from feed.signals import event_recorded
from observability.breaker import breakers_reset
from startups import services as startup_services
from startups.events import opportunity_snapshot, startup_snapshot
from startups.models import Opportunity, OpportunityStatus, Startup
from tests.accounts.factories import UserFactory
from tests.feed.factories import ActivityEventFactory
from tests.startups.factories import OpportunityFactory, StartupFactory
from tests.startups.helpers import assert_validation_error
from tests.support import free_port

pytestmark = pytest.mark.django_db

TRENDING = "/api/v1/trending/"


def engaged(
    person: User,
    action: str,
    *,
    startup: Startup | None = None,
    opportunity: Opportunity | None = None,
    followed: User | None = None,
    hours_ago: float = 0,
) -> None:
    """An engagement event as its app records it, ``hours_ago``, announced as feed announces
    every recorded event (``event_recorded``) and committed: analytics counts it."""
    if opportunity is not None:
        target: Any = opportunity
        snapshot = {**opportunity_snapshot(opportunity), "opportunity_id": opportunity.pk}
        startup_id = opportunity.startup_id
    elif startup is not None:
        target, snapshot, startup_id = startup, startup_snapshot(startup), startup.pk
    else:
        target, snapshot, startup_id = followed, {"type": "user"}, None
    event = ActivityEventFactory(
        actor=person,
        action_type=action,
        target=target,
        snapshot=snapshot,
        startup_id=startup_id,
        is_public=action in ("startup_followed", "user_followed"),
        created_at=timezone.now() - timedelta(hours=hours_ago),
    )
    event_recorded.send(sender=ActivityEvent, event=event)


@pytest.fixture
def counted(committed):
    """``with counted(): ...``: what happens inside commits, and its counts are written."""

    class Counted:
        def __enter__(self) -> None:
            self.commit = committed()
            self.commit.__enter__()

        def __exit__(self, *exc: Any) -> None:
            self.commit.__exit__(*exc)
            counters.flush(raise_errors=True)

    return Counted


def ranked(client, **params: Any) -> list[dict[str, Any]]:
    response = client.get(TRENDING, params)
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_five_people_once_each_outrank_one_person_ten_times(client_for, counted) -> None:
    busy, popular = StartupFactory(name="Busy"), StartupFactory(name="Popular")
    roles = OpportunityFactory.create_batch(8, startup=busy)
    keen = UserFactory()
    with counted():
        engaged(keen, "startup_followed", startup=busy)
        engaged(keen, "startup_saved", startup=busy)
        for role in roles:
            engaged(keen, "application_created", opportunity=role)
        for _ in range(5):
            engaged(UserFactory(), "startup_followed", startup=popular)

    results = ranked(client_for(None))

    assert [row["item"]["name"] for row in results] == ["Popular", "Busy"]
    top, second = results
    assert (top["rank"], top["people"], top["followers_gained"]) == (1, 5, 5)
    assert (second["people"], second["followers_gained"], second["saves"]) == (1, 1, 1)
    assert second["applications"] == 8
    assert second["reason"] == (
        "1 person engaged in the last 24 hours: 1 new follower, 1 save, 8 applications"
    )
    assert top["score"] > second["score"]


def test_old_engagement_weighs_less(client_for, counted) -> None:
    earlier, lately = StartupFactory(name="Earlier"), StartupFactory(name="Lately")
    with counted():
        for _ in range(3):
            engaged(UserFactory(), "startup_followed", startup=earlier, hours_ago=20)
        for _ in range(2):
            engaged(UserFactory(), "startup_followed", startup=lately)

    results = ranked(client_for(None), window="24h")

    assert [(row["item"]["name"], row["people"]) for row in results] == [
        ("Lately", 2),
        ("Earlier", 3),
    ]
    # Halved every 6 hours (a quarter of the window): 20 hours old weighs about a tenth.
    assert results[1]["score"] < 0.15 * 3
    assert results[0]["score"] > 1.9


def test_a_person_counts_once_however_often_they_come_back(counted) -> None:
    acme = StartupFactory()
    fan = UserFactory()
    with counted():
        engaged(fan, "startup_followed", startup=acme, hours_ago=10)
        engaged(fan, "startup_saved", startup=acme, hours_ago=5)
        engaged(fan, "startup_saved", startup=acme)

    [row] = selectors.trending_ranking_compute(window="24h", type="startups")["results"]

    assert (row["people"], row["followers_gained"], row["saves"]) == (1, 1, 2)
    assert row["score"] > 0.95  # weighted by their latest engagement: now


def test_the_window_leaves_out_older_engagement(client_for, counted) -> None:
    acme = StartupFactory(name="Acme")
    with counted():
        engaged(UserFactory(), "startup_followed", startup=acme, hours_ago=3)

    assert ranked(client_for(None), window="1h") == []
    assert [row["item"]["name"] for row in ranked(client_for(None), window="24h")] == ["Acme"]
    assert ranked(client_for(None), window="7d")[0]["reason"].endswith(
        "in the last 7 days: 1 new follower"
    )


def test_real_follows_saves_applications_and_views_are_counted(client_for, counted) -> None:
    acme = StartupFactory(name="Acme")
    role = OpportunityFactory(startup=acme, title="Backend Engineer")
    fans = UserFactory.create_batch(3)
    with counted():
        for fan in fans:
            assert client_for(fan).post(f"/api/v1/startups/{acme.pk}/follow/").status_code == 201
        startup_services.save_create(user=fans[0], startup=acme)
        startup_services.save_create(user=fans[1], opportunity=role)
        startup_services.application_create(opportunity=role, applicant=fans[2])
        client_for(None).get(f"/api/v1/startups/{acme.pk}/")
        client_for(fans[0]).get(f"/api/v1/startups/{acme.pk}/")
        client_for(acme.owner).get(f"/api/v1/startups/{acme.pk}/")  # the owner: not counted
        client_for(None).get("/api/v1/startups/999999/")  # a 404 is no view
        client_for(fans[1]).get(f"/startups/{acme.pk}/")  # the web page counts too
        client_for(fans[1]).get(f"/api/v1/opportunities/{role.pk}/")

    [startup] = ranked(client_for(fans[0]), type="startups")
    assert startup["item"]["id"] == acme.pk
    assert startup["item"]["is_following"] is True  # the list's shape, for this viewer
    assert {k: startup[k] for k in ("people", "followers_gained", "saves", "applications")} == {
        "people": 3,
        "followers_gained": 3,
        "saves": 1,
        "applications": 1,
    }
    assert startup["views"] == 3
    assert startup["reason"] == (
        "3 people engaged in the last 24 hours: 3 new followers, 1 save, 1 application (3 views)"
    )
    [job] = ranked(client_for(None), type="opportunities")
    assert (job["item"]["title"], job["people"], job["saves"], job["applications"]) == (
        "Backend Engineer",
        2,
        1,
        1,
    )
    assert (job["followers_gained"], job["views"]) == (0, 1)


def test_people_trend_by_new_followers_and_count_profile_views(client_for, counted) -> None:
    ada, bob = UserFactory(name="Ada"), UserFactory(name="Bob")
    with counted():
        for fan in UserFactory.create_batch(2):
            feed_services.follow_create(follower=fan, target=ada)
        feed_services.follow_create(follower=UserFactory(), target=bob)
        client_for(bob).get(f"/api/v1/users/{ada.pk}/")
        client_for(None).get(f"/people/{ada.pk}/")
        client_for(ada).get(f"/api/v1/users/{ada.pk}/")  # one's own profile: not counted

    results = ranked(client_for(None), type="people")

    assert [(row["item"]["name"], row["people"]) for row in results] == [("Ada", 2), ("Bob", 1)]
    assert (results[0]["followers_gained"], results[0]["views"]) == (2, 2)
    assert results[0]["item"]["email"] is None  # the public profile


def test_deleted_closed_and_deactivated_items_are_left_out(client_for, counted) -> None:
    gone, kept = StartupFactory(name="Gone"), StartupFactory(name="Kept")
    closed = OpportunityFactory(title="Closed")
    leaver = UserFactory()
    with counted():
        for item in (gone, kept):
            engaged(UserFactory(), "startup_followed", startup=item)
        engaged(UserFactory(), "opportunity_saved", opportunity=closed)
        engaged(UserFactory(), "user_followed", followed=leaver)
    gone.delete()
    Opportunity.objects.filter(pk=closed.pk).update(status=OpportunityStatus.CLOSED)
    User.objects.filter(pk=leaver.pk).update(is_active=False)

    assert [row["item"]["name"] for row in ranked(client_for(None))] == ["Kept"]
    assert ranked(client_for(None), type="opportunities") == []
    assert ranked(client_for(None), type="people") == []


def test_nothing_of_who_engaged_is_shown(client_for, counted) -> None:
    acme = StartupFactory()
    saver = UserFactory(name="Secret Saver")
    with counted():
        engaged(saver, "startup_saved", startup=acme)  # a private event

    body = client_for(UserFactory()).get(TRENDING).content.decode()

    assert "Secret Saver" not in body and f'"id":{saver.pk},' not in body.replace(" ", "")
    [row] = ranked(client_for(None))
    assert set(row) == {
        "rank", "score", "people", "followers_gained", "saves", "applications", "views",
        "reason", "item",
    }  # fmt: skip


def test_bad_parameters_are_400s(client_for) -> None:
    api = client_for(None)
    assert_validation_error(api.get(TRENDING, {"window": "2d"}), "window")
    assert_validation_error(api.get(TRENDING, {"type": "cats"}), "type")
    assert_validation_error(api.get(TRENDING, {"limit": 0}), "limit")
    assert_validation_error(api.get(TRENDING, {"limit": "many"}), "limit")


def test_defaults_and_the_limit(client_for, counted) -> None:
    startups = StartupFactory.create_batch(3)
    with counted():
        for n, startup in enumerate(startups):
            for _ in range(n + 1):
                engaged(UserFactory(), "startup_followed", startup=startup)

    body = client_for(None).get(TRENDING, {"limit": 2}).json()

    assert (body["window"], body["type"]) == ("24h", "startups")
    assert [row["item"]["id"] for row in body["results"]] == [startups[2].pk, startups[1].pk]


def test_queries_are_few_and_constant_in_the_number_of_items(client_for, counted) -> None:
    def queries_for(items: int) -> int:
        Rollup.objects.all().delete()
        EngagedPerson.objects.all().delete()
        with counted():
            for startup in StartupFactory.create_batch(items, skills=["python"]):
                engaged(UserFactory(), "startup_followed", startup=startup)
                engaged(UserFactory(), "startup_saved", startup=startup)
        api = client_for(None)
        selectors.cache.clear()
        with CaptureQueriesContext(connection) as computed:
            assert len(ranked(api, limit=50)) == items
        with CaptureQueriesContext(connection) as cached:
            assert len(ranked(api, limit=50)) == items
        assert len(cached) < len(computed)
        return len(computed)

    few, many = queries_for(2), queries_for(25)

    assert few == many
    assert many <= 4  # the ranking, its counts; the items and their skills


def test_it_is_cached_briefly(client_for, counted) -> None:
    acme, later = StartupFactory(name="Acme"), StartupFactory(name="Later")
    with counted():
        engaged(UserFactory(), "startup_followed", startup=acme)
    api = client_for(None)
    assert [row["item"]["name"] for row in ranked(api)] == ["Acme"]

    with counted():
        engaged(UserFactory(), "startup_followed", startup=later)

    assert [row["item"]["name"] for row in ranked(api)] == ["Acme"]  # within the minute
    assert [row["item"]["name"] for row in ranked(api, window="7d")] == ["Acme", "Later"]
    selectors.cache.delete(selectors.TRENDING_CACHE_KEY.format(type="startups", window="24h"))
    assert {row["item"]["name"] for row in ranked(api)} == {"Acme", "Later"}


def test_with_the_cache_down_it_is_computed_not_a_500(client_for, counted, settings) -> None:
    acme = StartupFactory(name="Acme")
    with counted():
        engaged(UserFactory(), "startup_followed", startup=acme)
    settings.CACHES = {
        "default": {
            "BACKEND": "observability.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    breakers_reset()
    try:
        api = client_for(None)
        assert [row["item"]["name"] for row in ranked(api)] == ["Acme"]
        later = StartupFactory(name="Later")
        with counted():
            engaged(UserFactory(), "startup_followed", startup=later)
            engaged(UserFactory(), "startup_followed", startup=later)
        assert [row["item"]["name"] for row in ranked(api)] == ["Later", "Acme"]  # fresh
    finally:
        breakers_reset()


def test_anyone_may_read_it_and_writes_are_refused(client_for) -> None:
    assert client_for(None).get(TRENDING).status_code == 200
    assert client_for(UserFactory()).get(TRENDING).json()["results"] == []
    assert client_for(None).post(TRENDING, {}).status_code == 401


def test_the_rebuild_derives_the_same_trending_from_the_events(counted) -> None:
    acme = StartupFactory()
    role = OpportunityFactory(startup=acme)
    with counted():
        engaged(UserFactory(), "startup_followed", startup=acme, hours_ago=2)
        engaged(UserFactory(), "application_created", opportunity=role)
        engaged(UserFactory(), "opportunity_saved", opportunity=role)
    before = {
        type: selectors.trending_ranking_compute(window="24h", type=type)["results"]
        for type in ("startups", "opportunities")
    }
    Rollup.objects.filter(metric="trend").delete()
    EngagedPerson.objects.all().delete()

    rollups_rebuild()

    for type, results in before.items():
        again = selectors.trending_ranking_compute(window="24h", type=type)["results"]
        assert [(r["id"], r["people"], r["reason"]) for r in again] == [
            (r["id"], r["people"], r["reason"]) for r in results
        ]


def test_engagement_older_than_every_window_is_pruned(counted) -> None:
    acme = StartupFactory()
    with counted():
        engaged(UserFactory(), "startup_followed", startup=acme, hours_ago=24 * 9)
        engaged(UserFactory(), "startup_followed", startup=acme, hours_ago=24 * 6)

    rollups_prune()

    assert EngagedPerson.objects.count() == 1
