"""The feed's mix: who sees which, staff set the default (persisted, audited, cached and
dropped on write, read from the database when the cache is down), experiments still win."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from experiments.models import ExperimentStatus
from feed import selectors
from feed import services as feed_services
from feed.events import FEED_COMPOSITION_CHANGED
from feed.models import ActivityEvent, EventAudience, FeedComposition
from observability.breaker import breakers_reset
from tests.accounts.factories import UserFactory
from tests.experiments.factories import ExperimentFactory
from tests.feed.factories import ActivityEventFactory
from tests.startups.helpers import assert_error
from tests.support import free_port

pytestmark = pytest.mark.django_db

COMPOSITION = "/api/v1/feed/composition/"
FEED = "/api/v1/feed/"


@pytest.fixture
def staff():
    return UserFactory(is_staff=True, name="Staff Member")


def running_experiment(**kwargs):
    kwargs.setdefault("traffic_allocation", 100)
    return ExperimentFactory(status=ExperimentStatus.RUNNING, started_at=timezone.now(), **kwargs)


def test_signed_in_people_see_the_default_mix(client_for, settings) -> None:
    settings.FEED_COMPOSITION = 0.6

    response = client_for(UserFactory()).get(COMPOSITION)

    assert response.status_code == 200
    assert response.json() == {
        "personal": 0.6,
        "interest": 0.4,
        "source": "default",
        "experiment": None,
    }


def test_reading_the_mix_needs_sign_in(client_for) -> None:
    assert_error(client_for(None).get(COMPOSITION), 401, "not_authenticated")


def test_staff_set_the_default_and_everyone_reads_it(client_for, staff, committed) -> None:
    with committed():
        response = client_for(staff).put(
            COMPOSITION, {"personal": 0.25, "interest": 0.75}, format="json"
        )

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "personal": 0.25,
        "interest": 0.75,
        "source": "default",
        "experiment": None,
    }
    row = FeedComposition.objects.get()
    assert (row.personal, row.interest, row.updated_by) == (0.25, 0.75, staff)
    assert client_for(UserFactory()).get(COMPOSITION).json()["personal"] == 0.25


def test_only_staff_may_set_it(client_for) -> None:
    body = {"personal": 0.5, "interest": 0.5}

    assert_error(client_for(UserFactory()).put(COMPOSITION, body, format="json"), 403, "staff_only")
    assert_error(client_for(None).put(COMPOSITION, body, format="json"), 401, "not_authenticated")

    assert not FeedComposition.objects.exists()
    assert not ActivityEvent.objects.filter(action_type=FEED_COMPOSITION_CHANGED).exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"personal": -0.1, "interest": 1.1}, {"personal", "interest"}),
        ({"personal": 0.7, "interest": 0.7}, {"personal", "interest"}),  # sums to 1.4
        ({"personal": 0.5, "interest": 0.5, "spice": 0.1}, {"spice"}),
        ({"personal": 0.5}, {"interest"}),
        ({"personal": "lots", "interest": 0.5}, {"personal"}),
        ({"personal": 1.5, "interest": -0.5, "extra": 1}, {"personal", "interest", "extra"}),
    ],
)
def test_a_bad_mix_is_a_400_with_a_message_per_field(client_for, staff, body, fields) -> None:
    response = client_for(staff).put(COMPOSITION, body, format="json")

    error = assert_error(response, 400, "validation_error")["error"]
    assert set(error["fields"]) == fields, error
    assert not FeedComposition.objects.exists()


def test_a_sum_within_the_tolerance_is_accepted_and_stored_summing_to_one(staff) -> None:
    row = feed_services.feed_composition_update(personal=0.3333, interest=0.6666, by=staff)

    assert (row.personal, row.interest) == (0.3333, 0.6667)


def test_the_change_is_a_private_staff_event_with_before_and_after(
    client_for, staff, settings, committed
) -> None:
    settings.FEED_COMPOSITION = 0.6
    other_staff, someone = UserFactory(is_staff=True), UserFactory()

    client_for(staff).put(COMPOSITION, {"personal": 0.8, "interest": 0.2}, format="json")
    client_for(staff).put(COMPOSITION, {"personal": 0.5, "interest": 0.5}, format="json")
    client_for(staff).put(COMPOSITION, {"personal": 0.5, "interest": 0.5}, format="json")  # no-op

    first, second = ActivityEvent.objects.filter(action_type=FEED_COMPOSITION_CHANGED).order_by(
        "pk"
    )
    assert first.snapshot["before"] == {"personal": 0.6, "interest": 0.4, "from": "setting"}
    assert first.snapshot["after"] == {"personal": 0.8, "interest": 0.2}
    assert second.snapshot["before"] == {"personal": 0.8, "interest": 0.2}
    assert second.snapshot["after"] == {"personal": 0.5, "interest": 0.5}
    assert second.actor == staff and not second.is_public
    audience = set(EventAudience.objects.filter(event=second).values_list("user_id", flat=True))
    assert audience == {staff.pk, other_staff.pk}
    # Other staff are told; the actor finds it in their own activity; nobody else sees it.
    with committed():
        client_for(staff).put(COMPOSITION, {"personal": 0.4, "interest": 0.6}, format="json")
    [note] = client_for(other_staff).get("/api/v1/notifications/").json()["results"]
    assert note["event"]["description"] == (
        "Staff Member set the feed's default mix to 40% personal / 60% interest"
    )
    assert client_for(someone).get("/api/v1/notifications/").json()["results"] == []
    activity = f"/api/v1/users/{staff.pk}/activity/"
    assert len(client_for(staff).get(activity).json()["results"]) == 3
    assert client_for(someone).get(activity).json()["results"] == []
    assert client_for(other_staff).get(activity).json()["results"] == []


def test_the_row_and_its_audit_event_commit_together(staff) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        feed_services.feed_composition_update(personal=0.1, interest=0.9, by=staff)
        assert ActivityEvent.objects.filter(action_type=FEED_COMPOSITION_CHANGED).exists()
        raise RuntimeError("the request failed after the write")

    assert not FeedComposition.objects.exists()
    assert not ActivityEvent.objects.filter(action_type=FEED_COMPOSITION_CHANGED).exists()


def feed_with_both_sources(me) -> None:
    """20 events by someone ``me`` follows, 20 matching ``me``'s interests."""
    friend = UserFactory()
    feed_services.follow_create(follower=me, target=friend)
    now = timezone.now()
    for i in range(20):
        for actor, name, industry in (
            (friend, "Friend", ""),
            (UserFactory(), "Climate", "climate"),
        ):
            ActivityEventFactory(
                action_type="startup_created",
                actor=actor,
                target=None,
                snapshot={"type": "startup", "name": f"{name} {i}"},
                industry=industry,
                created_at=now - timedelta(minutes=i),
            )


def personal_items(page: dict) -> int:
    return sum(item["target"]["name"].startswith("Friend") for item in page["results"])


def test_a_new_default_changes_the_next_feed_page(client_for, staff, committed, settings) -> None:
    settings.FEED_COMPOSITION = 0.6
    me = UserFactory(interests=["climate"])
    feed_with_both_sources(me)
    api = client_for(me)
    before = api.get(FEED, {"page_size": 10}).json()  # also caches the default
    assert personal_items(before) == 6

    with committed():
        client_for(staff).put(COMPOSITION, {"personal": 0.2, "interest": 0.8}, format="json")
    after = api.get(FEED, {"page_size": 10}).json()

    assert after["composition"] == {"personal": 0.2, "interest": 0.8}
    assert personal_items(after) == 2


def test_the_cached_default_is_dropped_only_when_the_write_commits(staff, settings) -> None:
    settings.FEED_COMPOSITION = 0.6
    assert selectors.feed_composition_default_get()["personal"] == 0.6  # cached now

    with pytest.raises(RuntimeError), transaction.atomic():
        feed_services.feed_composition_update(personal=0.9, interest=0.1, by=staff)
        raise RuntimeError("rolled back")
    assert cache.get(selectors.COMPOSITION_CACHE_KEY) == {}  # still "no row, the setting"


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_reaches_every_process_through_the_shared_cache(settings) -> None:
    settings.FEED_COMPOSITION = 0.6
    staff = UserFactory(is_staff=True)
    assert selectors.feed_composition_default_get()["personal"] == 0.6
    assert cache.get(selectors.COMPOSITION_CACHE_KEY) == {}

    feed_services.feed_composition_update(personal=0.7, interest=0.3, by=staff)

    # Dropped after commit: the next read anywhere goes to the row (then caches it).
    assert cache.get(selectors.COMPOSITION_CACHE_KEY) is None
    assert selectors.feed_composition_default_get() == {"personal": 0.7, "interest": 0.3}
    assert cache.get(selectors.COMPOSITION_CACHE_KEY) == {"personal": 0.7, "interest": 0.3}


@pytest.fixture
def cache_down(settings):
    """The production cache (``observability.cache.RedisCache``) on a Redis that is not
    there: every call fails, and the cache answers misses."""
    settings.CACHES = {
        "default": {
            "BACKEND": "observability.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    breakers_reset()
    yield
    breakers_reset()


def test_with_the_cache_down_the_mix_is_read_from_the_database(
    client_for, staff, cache_down, settings
) -> None:
    settings.FEED_COMPOSITION = 0.6
    me = UserFactory(interests=["climate"])
    feed_with_both_sources(me)
    api = client_for(me)
    assert api.get(COMPOSITION).json()["personal"] == 0.6

    written = client_for(staff).put(COMPOSITION, {"personal": 0.3, "interest": 0.7}, format="json")

    assert written.status_code == 200
    assert api.get(COMPOSITION).json()["personal"] == 0.3
    page = api.get(FEED, {"page_size": 10}).json()
    assert page["composition"] == {"personal": 0.3, "interest": 0.7}
    assert personal_items(page) == 3


def test_an_experiments_variant_still_wins_for_people_in_it(client_for, staff) -> None:
    feed_services.feed_composition_update(personal=0.9, interest=0.1, by=staff)
    experiment = running_experiment(
        variants=[{"key": "more_interest", "weight": 100, "config": {"personal": 0.3}}]
    )
    me = UserFactory(interests=["climate"])
    feed_with_both_sources(me)
    api = client_for(me)

    assert api.get(COMPOSITION).json() == {
        "personal": 0.3,
        "interest": 0.7,
        "source": "experiment",
        "experiment": {"id": experiment.pk, "key": experiment.key, "variant": "more_interest"},
    }
    page = api.get(FEED, {"page_size": 10}).json()
    assert page["composition"] == {"personal": 0.3, "interest": 0.7}
    assert personal_items(page) == 3


def test_people_outside_the_experiments_allocation_get_the_new_default(client_for, staff) -> None:
    feed_services.feed_composition_update(personal=0.9, interest=0.1, by=staff)
    running_experiment(traffic_allocation=0)

    body = client_for(UserFactory()).get(COMPOSITION).json()

    assert body == {"personal": 0.9, "interest": 0.1, "source": "default", "experiment": None}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    settings.DATABASE_VENDOR != "postgresql",
    reason="two threads writing at once: the in-memory SQLite test database locks tables "
    "between threads at once (shared cache) where the file database of the embedded default "
    "waits (busy timeout, tests/faults/test_sqlite_writers.py); runs in the PostgreSQL pass",
)
def test_two_first_writes_at_once_both_land_one_after_the_other() -> None:
    """No row yet, two staff members set the mix at the same moment: neither fails (the
    second takes the row the first created), and each change is recorded."""
    first, second = UserFactory(is_staff=True), UserFactory(is_staff=True)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def write(by, personal: float) -> None:
        try:
            start.wait()
            feed_services.feed_composition_update(personal=personal, interest=1 - personal, by=by)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=write, args=(first, 0.2)),
        threading.Thread(target=write, args=(second, 0.7)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    row = FeedComposition.objects.get()
    assert row.personal in (0.2, 0.7)
    changes = ActivityEvent.objects.filter(action_type=FEED_COMPOSITION_CHANGED).order_by("pk")
    assert len(changes) == 2
    assert changes[0].snapshot["before"]["from"] == "setting"
    assert changes[1].snapshot["before"] == changes[0].snapshot["after"]
