"""The personal feed, follows, notifications and activity, through the API."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from feed import services as feed_services
from feed.models import ActivityEvent, Notification
from startups import services
from startups.models import Startup
from tests.accounts.factories import FounderFactory, UserFactory
from tests.feed.factories import ActivityEventFactory
from tests.startups.factories import OpportunityFactory, StartupFactory
from tests.startups.helpers import assert_error

pytestmark = pytest.mark.django_db

FEED = "/api/v1/feed/"


def post_job(startup: Startup, title: str) -> None:
    services.opportunity_create(
        startup=startup, by=startup.owner, data={"title": title, "kind": "full-time"}
    )


def public_event(actor: User | None, *, minutes_ago: float = 0, **kwargs: object) -> ActivityEvent:
    return ActivityEventFactory(
        action_type=kwargs.pop("action_type", "startup_created"),
        actor=actor,
        target=None,
        snapshot={"type": "startup", "name": kwargs.pop("name", "Acme")},
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
        **kwargs,
    )


def test_following_a_startup_puts_its_new_opportunity_in_my_feed_and_notifications(
    client_for,
    committed,
) -> None:
    me = UserFactory()
    acme = StartupFactory(name="Acme")
    api = client_for(me)
    followed = api.post(f"/api/v1/startups/{acme.pk}/follow/")
    assert followed.status_code == 201
    assert followed.json() == {"following": True, "followers_count": 1}
    assert api.post(f"/api/v1/startups/{acme.pk}/follow/").status_code == 200  # idempotent

    with committed():
        post_job(acme, "Senior Django Engineer")

    feed = api.get(FEED).json()
    [item] = [i for i in feed["results"] if i["action_type"] == "opportunity_posted"]
    owner = acme.owner
    assert item["description"] == f"{owner.name} posted Senior Django Engineer at Acme"
    assert item["actor"] == {"id": owner.pk, "name": owner.name}
    assert item["target"]["type"] == "opportunity"
    assert item["target"]["startup"]["name"] == "Acme"
    notifications = api.get("/api/v1/notifications/").json()
    assert notifications["unread_count"] == 1
    assert notifications["results"][0]["event"]["id"] == item["id"]
    detail = api.get(f"/api/v1/startups/{acme.pk}/").json()
    assert (detail["followers_count"], detail["is_following"]) == (1, True)

    assert api.delete(f"/api/v1/startups/{acme.pk}/follow/").status_code == 204
    assert api.get(f"/api/v1/startups/{acme.pk}/").json()["followers_count"] == 0


def test_feed_mixes_personal_and_interest_events_by_the_composition(client_for) -> None:
    me = UserFactory(interests=["climate"])
    friend = UserFactory()
    feed_services.follow_create(follower=me, target=friend)
    for i in range(20):
        public_event(friend, minutes_ago=i + 0.5, name=f"Friend {i}")
        public_event(UserFactory(), minutes_ago=i + 0.25, name=f"Climate {i}", industry="climate")
        public_event(UserFactory(), minutes_ago=i, name=f"Fintech {i}", industry="fintech")

    body = client_for(me).get(FEED, {"page_size": 10}).json()

    assert body["composition"] == {"personal": 0.6, "interest": 0.4}
    names = [item["target"]["name"] for item in body["results"]]
    assert len(names) == 10
    assert sum(n.startswith("Friend") for n in names) == 6
    assert sum(n.startswith("Climate") for n in names) == 4
    assert not any(n.startswith("Fintech") for n in names)  # neither followed nor of interest
    created = [item["created_at"] for item in body["results"]]
    assert created == sorted(created, reverse=True)


def test_composition_comes_from_the_setting_and_the_hook(client_for, settings) -> None:
    me = UserFactory()
    settings.FEED_COMPOSITION = 0.8
    assert client_for(me).get(FEED).json()["composition"]["personal"] == 0.8
    settings.FEED_COMPOSITION_HOOK = "tests.feed.test_feed_api.half_and_half"
    assert client_for(me).get(FEED).json()["composition"] == {"personal": 0.5, "interest": 0.5}


def half_and_half(*, user: object) -> float:
    return 0.5


def test_a_source_that_runs_dry_leaves_its_share_to_the_other(client_for) -> None:
    me = UserFactory()
    friend = UserFactory()
    feed_services.follow_create(follower=me, target=friend)
    for i in range(8):
        public_event(friend, minutes_ago=i)

    body = client_for(me).get(FEED, {"page_size": 5}).json()
    assert len(body["results"]) == 5  # no interest events: all five are personal
    assert body["next"]


def test_cursor_pages_are_stable_while_new_events_arrive(client_for) -> None:
    me = UserFactory(interests=["ai"])
    friend = UserFactory()
    feed_services.follow_create(follower=me, target=friend)
    made = set()
    for i in range(12):
        made.add(public_event(friend, minutes_ago=10 + i).pk)
        made.add(public_event(UserFactory(), minutes_ago=10 + i, industry="ai").pk)
    api = client_for(me)

    first = api.get(FEED, {"page_size": 5}).json()
    seen = [item["id"] for item in first["results"]]
    # New events arrive between pages: they must not shift or repeat what follows.
    for _ in range(3):
        public_event(friend)
        public_event(UserFactory(), industry="ai")
    url = first["next"]
    while url:
        page = api.get(url).json()
        seen += [item["id"] for item in page["results"]]
        url = page["next"]

    assert len(seen) == len(set(seen)), "no event twice"
    assert set(seen) == made, "every event once, none of the newer ones"


def test_an_invalid_cursor_is_a_400(client_for) -> None:
    body = assert_error(
        client_for(UserFactory()).get(FEED, {"cursor": "nonsense!"}), 400, "invalid_cursor"
    )
    assert body["error"]["message"] == "Invalid cursor."


def test_the_feed_needs_sign_in(client_for) -> None:
    assert client_for(None).get(FEED).status_code == 401


def test_query_count_is_constant_whatever_the_page_size(client_for) -> None:
    me = UserFactory(interests=["ai"], skills=["python"])
    friend = UserFactory()
    feed_services.follow_create(follower=me, target=friend)
    for i in range(120):
        public_event(friend if i % 2 else UserFactory(), minutes_ago=i, industry="ai")
    api = client_for(me)
    api.get(FEED)  # warm caches (content types)

    counts = {}
    for size in (1, 10, 50):
        with CaptureQueriesContext(connection) as queries:
            body = api.get(FEED, {"page_size": size}).json()
        assert len(body["results"]) == size
        counts[size] = len(queries)
        with CaptureQueriesContext(connection) as queries:
            assert len(api.get(body["next"]).json()["results"]) == size  # a later page too
        assert len(queries) == counts[size]

    # The user with whether their session is signed out (auth, one query), their skills, the
    # two sources (each with its actors' names joined).
    assert set(counts.values()) == {4}, counts


def test_nobody_sees_an_event_they_may_not_see(client_for, committed) -> None:
    job = OpportunityFactory(title="Secret role")
    owner, applicant, stranger = job.startup.owner, UserFactory(), UserFactory()
    # The stranger follows everyone involved: still nothing private reaches them.
    for target in (owner, applicant):
        feed_services.follow_create(follower=stranger, target=target)
    feed_services.follow_create(follower=stranger, target=job.startup)
    with committed():
        application = services.application_create(opportunity=job, applicant=applicant)
        services.application_accept(application=application, by=owner)
        services.save_create(user=applicant, startup=job.startup)
    private = set(ActivityEvent.objects.filter(is_public=False).values_list("pk", flat=True))
    assert len(private) == 3

    def visible(user: User) -> set[int]:
        api = client_for(user)
        ids = {item["id"] for item in api.get(FEED, {"page_size": 50}).json()["results"]}
        for person in (owner, applicant, stranger):
            activity = api.get(f"/api/v1/users/{person.pk}/activity/").json()["results"]
            ids |= {item["id"] for item in activity}
        notes = api.get("/api/v1/notifications/").json()["results"]
        return ids | {n["event"]["id"] for n in notes}

    assert not visible(stranger) & private
    assert visible(applicant) & private  # their own, in their activity
    assert not Notification.objects.filter(recipient=stranger, event_id__in=private).exists()


def test_user_activity_is_public_events_and_all_own_ones(client_for) -> None:
    ada = UserFactory()
    shown = public_event(ada)
    hidden = feed_services.event_record(action_type="startup_saved", actor=ada, is_public=False)
    url = f"/api/v1/users/{ada.pk}/activity/"

    assert [i["id"] for i in client_for(None).get(url).json()["results"]] == [shown.pk]
    own = [i["id"] for i in client_for(ada).get(url).json()["results"]]
    assert set(own) == {shown.pk, hidden.pk}
    assert client_for(None).get("/api/v1/users/999999/activity/").status_code == 404


def test_seen_marks_the_feed_read(client_for) -> None:
    me, friend = UserFactory(), UserFactory()
    feed_services.follow_create(follower=me, target=friend)
    api = client_for(me)
    public_event(friend, minutes_ago=1)
    public_event(friend, minutes_ago=1)
    unread = "/api/v1/feed/unread/"
    assert api.get(unread).json() == {"unread_count": 2}

    assert api.post("/api/v1/feed/seen/").status_code == 204
    assert api.get(unread).json() == {"unread_count": 0}
    public_event(friend)
    assert api.get(unread).json() == {"unread_count": 1}


def test_notifications_read_one_and_all(client_for, committed) -> None:
    me = UserFactory()
    api = client_for(me)
    with committed():
        for _ in range(3):
            feed_services.follow_create(follower=UserFactory(), target=me)
    [first, *_] = api.get("/api/v1/notifications/").json()["results"]
    assert api.get("/api/v1/notifications/").json()["unread_count"] == 3

    read = api.post(f"/api/v1/notifications/{first['id']}/read/")
    assert read.status_code == 200 and read.json()["read"] is True
    unread = api.get("/api/v1/notifications/", {"unread": "true"}).json()
    assert unread["unread_count"] == 2 and len(unread["results"]) == 2

    assert api.post("/api/v1/notifications/read-all/").json() == {"marked_read": 2}
    assert api.get("/api/v1/notifications/").json()["unread_count"] == 0
    # Someone else's notification is not found, not readable.
    other = client_for(UserFactory())
    assert other.post(f"/api/v1/notifications/{first['id']}/read/").status_code == 404


def test_following_people(client_for, committed) -> None:
    ada, grace = UserFactory(name="Ada"), UserFactory(name="Grace")
    api = client_for(grace)
    assert api.post(f"/api/v1/users/{grace.pk}/follow/").status_code == 400  # not oneself
    with committed():
        assert api.post(f"/api/v1/users/{ada.pk}/follow/").status_code == 201
    followers = client_for(None).get(f"/api/v1/users/{ada.pk}/followers/").json()
    assert [u["name"] for u in followers["results"]] == ["Grace"]
    following = client_for(None).get(f"/api/v1/users/{grace.pk}/following/").json()
    assert [u["name"] for u in following["results"]] == ["Ada"]
    assert Notification.objects.get(recipient=ada).event.action_type == "user_followed"

    state = client_for(grace).get(f"/api/v1/users/{ada.pk}/follow/").json()
    assert state == {"following": True, "followers_count": 1, "following_count": 0}
    anonymous = client_for(None).get(f"/api/v1/users/{grace.pk}/follow/").json()
    assert anonymous == {"following": False, "followers_count": 0, "following_count": 1}

    assert api.delete(f"/api/v1/users/{ada.pk}/follow/").status_code == 204
    assert client_for(None).get(f"/api/v1/users/{ada.pk}/followers/").json()["count"] == 0
    assert client_for(None).post(f"/api/v1/users/{ada.pk}/follow/").status_code == 401


def test_startup_followers_list_and_deletion(client_for) -> None:
    founder = FounderFactory()
    acme = services.startup_create(owner=founder, data={"name": "Acme", "industry": "ai"})
    fan = UserFactory(name="Fan")
    client_for(fan).post(f"/api/v1/startups/{acme.pk}/follow/")
    names = client_for(None).get(f"/api/v1/startups/{acme.pk}/followers/").json()["results"]
    assert [u["name"] for u in names] == ["Fan"]
    StartupFactory()  # not followed
    followed = client_for(None).get("/api/v1/startups/", {"followed_by": fan.pk}).json()
    assert [s["id"] for s in followed["results"]] == [acme.pk]

    services.startup_delete(startup=acme, by=founder)
    created = ActivityEvent.objects.get(action_type="startup_created")
    assert created.snapshot["name"] == "Acme"  # the event outlives its target
    assert not fan.follows.exists()


@pytest.mark.parametrize(
    "position",
    ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2026-01-01T00:00:00"],
)
def test_a_crafted_cursor_is_a_400_not_a_500(client_for, position: str) -> None:
    import base64
    import json

    data = {"as_of": "2026-01-01T00:00:00+00:00", "personal": [position, 5], "interest": None}
    cursor = base64.urlsafe_b64encode(json.dumps(data).encode()).decode()
    response = client_for(UserFactory()).get(FEED, {"cursor": cursor})
    assert_error(response, 400, "invalid_cursor")


def test_following_someone_between_pages_repeats_nothing(client_for) -> None:
    me = UserFactory(interests=["ai"])
    stranger = UserFactory()
    for i in range(10):
        public_event(stranger, minutes_ago=10 + i, industry="ai")  # interest events
    api = client_for(me)
    first = api.get(FEED, {"page_size": 4}).json()
    feed_services.follow_create(follower=me, target=stranger)  # from a feed card
    seen = [item["id"] for item in first["results"]]
    url = first["next"]
    while url:
        page = api.get(url).json()
        seen += [item["id"] for item in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 10


def test_deleting_a_user_anywhere_removes_their_follows(client_for) -> None:
    ada, grace = UserFactory(), UserFactory()
    feed_services.follow_create(follower=grace, target=ada)
    ada.delete()  # e.g. in the admin, not through a service
    assert not grace.follows.exists()
