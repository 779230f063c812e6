"""Results and the monitor, on rows made to give known counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from experiments import services, statistics
from experiments.models import ExperimentStatus
from feed.models import ActivityEvent, Notification
from tests.accounts.factories import UserFactory
from tests.experiments.factories import ExperimentFactory, ExposureFactory
from tests.feed.factories import ActivityEventFactory

pytestmark = pytest.mark.django_db

STAFF_RESULTS = "/api/v1/analytics/experiments/{key}/results/"


def running(**kwargs):
    return ExperimentFactory(
        status=ExperimentStatus.RUNNING,
        started_at=timezone.now() - timedelta(days=1),
        **kwargs,
    )


def expose(experiment, variant: str, people: int, converted: int, action: str = "user_followed"):
    """``people`` exposed an hour ago; ``converted`` of them acted after it, and every one of
    them also acted before it (which must not count)."""
    exposed_at = timezone.now() - timedelta(hours=1)
    for n in range(people):
        user = UserFactory()
        ExposureFactory(experiment=experiment, user=user, variant=variant, exposed_at=exposed_at)
        ActivityEventFactory(
            actor=user, action_type=action, created_at=exposed_at - timedelta(minutes=5)
        )
        if n < converted:
            ActivityEventFactory(
                actor=user, action_type=action, created_at=exposed_at + timedelta(minutes=5)
            )


def test_counts_rates_lift_and_p_value_per_variant(client_for) -> None:
    experiment = running()
    expose(experiment, "control", 40, 10)
    expose(experiment, "more_interest", 40, 20)
    staff = client_for(UserFactory(is_staff=True))

    results = staff.get(STAFF_RESULTS.format(key=experiment.key)).json()

    control, variant = results["variants"]
    assert (control["exposures"], control["converted"]) == (40, 10)
    assert (variant["exposures"], variant["converted"]) == (40, 20)
    assert control["conversion_rate"] == 0.25 and variant["conversion_rate"] == 0.5
    expected = statistics.proportion_difference(
        conversions=20, exposures=40, control_conversions=10, control_exposures=40
    )
    assert variant["absolute_lift"] == pytest.approx(0.25)
    assert variant["relative_lift"] == pytest.approx(1.0)
    assert variant["p_value"] == pytest.approx(expected.p_value)
    assert results["p_value"] == pytest.approx(expected.p_value)
    assert results["test"] == "two-proportion z-test"
    assert results["significant"] is (expected.p_value < 0.05)
    assert results["sample_ratio_mismatch"]["flagged"] is False


def test_three_variants_are_tested_with_chi_square() -> None:
    experiment = running(
        variants=[
            {"key": "control", "weight": 34, "config": {"personal": 0.6, "interest": 0.4}},
            {"key": "b", "weight": 33, "config": {"personal": 0.4, "interest": 0.6}},
            {"key": "c", "weight": 33, "config": {"personal": 0.2, "interest": 0.8}},
        ]
    )
    expose(experiment, "control", 30, 5)
    expose(experiment, "b", 30, 10)
    expose(experiment, "c", 30, 15)
    from experiments.selectors import experiment_results

    results = experiment_results(experiment=experiment)

    assert results["test"] == "chi-square"
    expected = statistics.chi_square_independence(table=[(5, 25), (10, 20), (15, 15)])
    assert results["p_value"] == pytest.approx(expected.p_value)


def test_a_skewed_split_is_flagged_as_a_sample_ratio_mismatch() -> None:
    experiment = running()
    expose(experiment, "control", 30, 0)
    expose(experiment, "more_interest", 90, 0)
    from experiments.selectors import experiment_results

    results = experiment_results(experiment=experiment)

    assert results["sample_ratio_mismatch"]["flagged"] is True
    assert results["verdict"].startswith("Sample ratio mismatch")


def test_the_monitor_stops_an_experiment_that_breaches_a_guardrail_and_tells_staff(
    committed,
) -> None:
    staff = UserFactory(is_staff=True)
    experiment = running(guardrail_metrics=["message_rate"], min_sample_size=40)
    expose(experiment, "control", 40, 30, action="message_sent")
    expose(experiment, "more_interest", 40, 5, action="message_sent")

    with committed():
        done = services.experiments_monitor()

    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.STOPPED
    assert "guardrail" in experiment.end_reason and done
    assert experiment.results["guardrail_breached"] is True
    event = ActivityEvent.objects.get(action_type="experiment_completed")
    assert event.snapshot["status"] == "stopped" and not event.is_public
    assert Notification.objects.filter(event=event, recipient=staff).exists()


def test_the_monitor_completes_at_the_end_date() -> None:
    experiment = ExperimentFactory(
        status=ExperimentStatus.RUNNING,
        started_at=timezone.now() - timedelta(days=15),
        duration_days=14,
    )

    services.experiments_monitor()

    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.COMPLETED
    assert experiment.end_reason == "reached its end date"


def test_the_monitor_completes_early_only_when_significant_with_enough_people() -> None:
    experiment = running(min_sample_size=30)
    expose(experiment, "control", 30, 3)
    expose(experiment, "more_interest", 30, 20)
    quiet = running(
        target="recommendations_algorithm",
        min_sample_size=30,
        variants=[
            {"key": "control", "weight": 50, "config": {"algorithm": "hybrid"}},
            {"key": "b", "weight": 50, "config": {"algorithm": "popularity"}},
        ],
    )
    expose(quiet, "control", 30, 10)
    expose(quiet, "b", 30, 11)

    services.experiments_monitor()

    experiment.refresh_from_db()
    quiet.refresh_from_db()
    assert experiment.status == ExperimentStatus.COMPLETED
    assert experiment.end_reason == "significant early"
    assert experiment.results["significant"] is True
    assert "beats control" in experiment.results["verdict"]
    assert quiet.status == ExperimentStatus.RUNNING


def test_with_too_few_people_a_guardrail_does_not_stop_it_yet() -> None:
    experiment = running(guardrail_metrics=["message_rate"], min_sample_size=100)
    expose(experiment, "control", 40, 30, action="message_sent")
    expose(experiment, "more_interest", 40, 5, action="message_sent")

    assert services.experiments_monitor() == []
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.RUNNING


def test_a_sample_ratio_mismatch_keeps_a_significant_experiment_from_completing_early() -> None:
    experiment = running(min_sample_size=20)
    expose(experiment, "control", 25, 2)
    expose(experiment, "more_interest", 75, 50)

    assert services.experiments_monitor() == []
    experiment.refresh_from_db()
    assert experiment.status == ExperimentStatus.RUNNING


def test_with_three_variants_a_winner_is_named_only_if_it_beats_control_alone() -> None:
    from experiments.selectors import experiment_results

    experiment = running(
        min_sample_size=10,
        variants=[
            {"key": "control", "weight": 34, "config": {"personal": 0.6, "interest": 0.4}},
            {"key": "b", "weight": 33, "config": {"personal": 0.4, "interest": 0.6}},
            {"key": "c", "weight": 33, "config": {"personal": 0.2, "interest": 0.8}},
        ],
    )
    expose(experiment, "control", 40, 12)
    expose(experiment, "b", 40, 17)  # a little better than control
    expose(experiment, "c", 40, 2)  # much worse: the overall test is significant

    results = experiment_results(experiment=experiment)

    assert results["significant"] is True
    assert results["verdict"].startswith("The variants differ")
