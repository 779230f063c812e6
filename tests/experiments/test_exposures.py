"""Exposure: recorded once per person and experiment, when the target first serves them --
a feed page, a recommendations list -- with the variant they were served; never at
assignment, never for a precompute; people outside the allocation get the default."""

import pytest
from django.utils import timezone

from experiments.assignment import variant_assign
from experiments.models import ExperimentStatus, Exposure
from recommendations.selectors import recommendations_precompute
from tests.accounts.factories import UserFactory
from tests.experiments.factories import ExperimentFactory

pytestmark = pytest.mark.django_db

ALGORITHM_VARIANTS = [
    {"key": "control", "weight": 50, "config": {"algorithm": "hybrid"}},
    {"key": "popular", "weight": 50, "config": {"algorithm": "popularity"}},
]


def running(**kwargs):
    return ExperimentFactory(status=ExperimentStatus.RUNNING, started_at=timezone.now(), **kwargs)


def test_a_feed_page_exposes_each_person_once_with_the_mix_it_served(client_for) -> None:
    experiment = running()
    people = UserFactory.create_batch(20)
    for person in people:
        client = client_for(person)
        served = client.get("/api/v1/feed/").json()["composition"]
        client.get("/api/v1/feed/")  # a second page: no second exposure

        exposure = Exposure.objects.get(experiment=experiment, user=person)
        expected = variant_assign(
            key=experiment.key,
            variants=experiment.variants,
            traffic_allocation=100,
            user_id=person.pk,
        )
        assert exposure.variant == expected["key"]
        assert served["personal"] == expected["config"]["personal"]
    assert Exposure.objects.count() == len(people)
    assert {e.variant for e in Exposure.objects.all()} == {"control", "more_interest"}


def test_outside_the_allocation_people_get_the_default_and_no_exposure(
    client_for, settings
) -> None:
    running(traffic_allocation=0)

    served = client_for(UserFactory()).get("/api/v1/feed/").json()["composition"]

    assert served["personal"] == settings.FEED_COMPOSITION
    assert not Exposure.objects.exists()


def test_no_running_experiment_no_exposure(client_for, settings) -> None:
    ExperimentFactory()  # a draft

    served = client_for(UserFactory()).get("/api/v1/feed/").json()["composition"]

    assert served["personal"] == settings.FEED_COMPOSITION
    assert not Exposure.objects.exists()


def test_a_recommendations_list_exposes_and_serves_the_variants_algorithm(
    client_for, startup
) -> None:
    experiment = running(target="recommendations_algorithm", variants=ALGORITHM_VARIANTS)
    people = UserFactory.create_batch(20)
    for person in people:
        recommendations_precompute(user=person)  # the nightly run is not an exposure
    assert not Exposure.objects.exists()

    for person in people:
        served = client_for(person).get("/api/v1/recommendations/").json()["algorithm"]
        exposure = Exposure.objects.get(experiment=experiment, user=person)
        variant = next(v for v in ALGORITHM_VARIANTS if v["key"] == exposure.variant)
        # A newcomer with nothing to go on gets what is trending for the role under the
        # hybrid (a cold start); popularity is served as is.
        expected = {"hybrid": "trending", "popularity": "popularity"}
        assert served == expected[variant["config"]["algorithm"]]
    assert Exposure.objects.count() == len(people)
    assert {e.variant for e in Exposure.objects.all()} == {"control", "popular"}


def test_a_stopped_experiment_serves_the_default_at_once(client_for, settings) -> None:
    experiment = running(traffic_allocation=100)
    person = UserFactory()
    client = client_for(person)
    client.get("/api/v1/feed/")

    staff = client_for(UserFactory(is_staff=True))
    assert staff.post(f"/api/v1/analytics/experiments/{experiment.key}/stop/").status_code == 200

    assert client.get("/api/v1/feed/").json()["composition"]["personal"] == (
        settings.FEED_COMPOSITION
    )


def test_an_exposure_rolled_back_with_its_callers_transaction_is_recorded_next_time() -> None:
    from django.db import transaction

    from experiments.services import exposure_record

    experiment = running()
    person = UserFactory()

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        assert exposure_record(target="feed_composition", user=person) is not None
        raise Abort
    assert not Exposure.objects.exists()

    assert exposure_record(target="feed_composition", user=person) is not None
    assert Exposure.objects.get().experiment == experiment
