"""Interactions: recorded through the API, and from the events of saves, follows and
applications made through their own endpoints."""

import pytest

from feed.models import ActivityEvent
from recommendations.models import Interaction
from tests.accounts.factories import UserFactory
from tests.startups.factories import OpportunityFactory, StartupFactory
from tests.startups.helpers import assert_error

pytestmark = pytest.mark.django_db

INTERACTIONS = "/api/v1/interactions/"


def history(api) -> list[tuple[str, str, int]]:
    results = api.get(INTERACTIONS).json()["results"]
    return [(r["kind"], r["item_type"], r["item_id"]) for r in results]


@pytest.mark.parametrize("kind", ["view", "like", "share", "dismiss"])
def test_each_client_kind_is_recorded(client_for, kind: str) -> None:
    user, startup = UserFactory(), StartupFactory()
    api = client_for(user)
    body = {"kind": kind, "item_type": "startup", "item_id": startup.pk}
    response = api.post(INTERACTIONS, body, format="json")
    assert response.status_code == 201
    assert history(api) == [(kind, "startup", startup.pk)]


def test_bad_interactions_are_clear_4xx(client_for) -> None:
    api = client_for(UserFactory())
    startup = StartupFactory()
    bad = [
        {"kind": "stare", "item_type": "startup", "item_id": startup.pk},
        {"kind": "like", "item_type": "planet", "item_id": startup.pk},
        {"kind": "like", "item_type": "startup", "item_id": "x"},
        {"kind": "like", "item_type": "startup"},
    ]
    for body in bad:
        assert_error(api.post(INTERACTIONS, body, format="json"), 400, "validation_error")
    for kind in ("save", "apply", "follow"):  # only their own endpoints record them
        body = {"kind": kind, "item_type": "startup", "item_id": startup.pk}
        response = api.post(INTERACTIONS, body, format="json")
        assert_error(response, 400, "interaction_recorded_by_server")
        assert "/api/v1/" in response.json()["error"]["message"]
    missing = {"kind": "like", "item_type": "opportunity", "item_id": 10**9}
    assert_error(api.post(INTERACTIONS, missing, format="json"), 404, "opportunity_not_found")
    assert not Interaction.objects.exists()
    assert client_for(None).get(INTERACTIONS).status_code == 401


def test_saves_follows_and_applications_count_as_interactions(client_for) -> None:
    talent = UserFactory()
    job = OpportunityFactory()
    api = client_for(talent)
    assert api.post(f"/api/v1/startups/{job.startup.pk}/save/").status_code == 201
    assert api.post(f"/api/v1/opportunities/{job.pk}/save/").status_code == 201
    assert api.post(f"/api/v1/startups/{job.startup.pk}/follow/").status_code == 201
    assert api.post(f"/api/v1/opportunities/{job.pk}/apply/", {}, format="json").status_code == 201

    assert sorted(history(api)) == sorted(
        [
            ("save", "startup", job.startup.pk),
            ("save", "opportunity", job.pk),
            ("follow", "startup", job.startup.pk),
            ("apply", "opportunity", job.pk),
        ]
    )


def test_a_history_is_ones_own_and_filterable(client_for) -> None:
    ada, grace, startup = UserFactory(), UserFactory(), StartupFactory()
    for kind in ("view", "like"):
        body = {"kind": kind, "item_type": "startup", "item_id": startup.pk}
        client_for(ada).post(INTERACTIONS, body, format="json")
    assert history(client_for(grace)) == []
    likes = client_for(ada).get(INTERACTIONS, {"kind": "like"}).json()["results"]
    assert [r["kind"] for r in likes] == ["like"]


def test_viewing_a_recommendation_records_a_private_event_once(client_for) -> None:
    user, job = UserFactory(), OpportunityFactory(title="Staff Engineer")
    api = client_for(user)
    body = {
        "kind": "view",
        "item_type": "opportunity",
        "item_id": job.pk,
        "from_recommendation": True,
    }
    api.post(INTERACTIONS, body, format="json")
    api.post(INTERACTIONS, body, format="json")  # a double click

    [event] = ActivityEvent.objects.filter(action_type="recommendation_viewed")
    assert (event.actor, event.is_public, event.snapshot["name"]) == (user, False, "Staff Engineer")
    assert Interaction.objects.filter(user=user, kind="view").count() == 1  # the same view


def test_repetition_cannot_fake_traction(client_for, settings) -> None:
    """One account posting 60 applies, 40 saves and a like a hundred times: the applies and
    saves are refused, the likes are one like, the views one view (with rate limits out of
    the way: they would stop the repetition sooner, and are tested on their own)."""
    settings.RATE_LIMIT_ENABLED = False
    api, startup = client_for(UserFactory()), StartupFactory()
    statuses = []
    for kind, times in (("apply", 60), ("save", 40), ("like", 100), ("view", 100)):
        body = {"kind": kind, "item_type": "startup", "item_id": startup.pk}
        statuses += [api.post(INTERACTIONS, body, format="json").status_code for _ in range(times)]

    assert statuses[:100] == [400] * 100
    assert statuses[100:] == [201] + [200] * 99 + [201] + [200] * 99
    rows = Interaction.objects.filter(item_id=startup.pk)
    assert sorted(rows.values_list("kind", flat=True)) == ["like", "view"]
