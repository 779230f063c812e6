"""The experiments API: staff only; definitions checked whole; the lifecycle's rules."""

import pytest

from experiments.models import Experiment, ExperimentStatus
from tests.accounts.factories import UserFactory
from tests.experiments.factories import FEED_VARIANTS, ExperimentFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/analytics/experiments/"


@pytest.fixture
def staff(client_for):
    return client_for(UserFactory(is_staff=True))


def definition(**overrides):
    return {
        "key": "feed-mix",
        "name": "More interest in the feed",
        "hypothesis": "People follow more when they see more new startups.",
        "target": "feed_composition",
        "variants": FEED_VARIANTS,
        "traffic_allocation": 50,
        "primary_metric": "follow_rate",
        "guardrail_metrics": ["message_rate"],
        "min_sample_size": 100,
        "duration_days": 14,
        **overrides,
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", BASE),
        ("post", BASE),
        ("get", f"{BASE}x/"),
        ("patch", f"{BASE}x/"),
        ("delete", f"{BASE}x/"),
        ("post", f"{BASE}x/start/"),
        ("post", f"{BASE}x/stop/"),
        ("get", f"{BASE}x/results/"),
    ],
)
def test_only_staff_may_use_it(client_for, method: str, path: str) -> None:
    ExperimentFactory(key="x")
    assert getattr(client_for(UserFactory()), method)(path, {}, format="json").status_code == 403
    assert getattr(client_for(None), method)(path, {}, format="json").status_code == 401


def test_a_definition_is_created_as_a_draft(staff) -> None:
    response = staff.post(BASE, definition(), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["variants"][1]["config"] == {"personal": 0.3, "interest": 0.7}
    assert staff.post(BASE, definition(), format="json").json()["error"]["code"] == (
        "experiment_exists"
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"variants": FEED_VARIANTS[:1]}, "variants"),
        ({"variants": [{**FEED_VARIANTS[0], "weight": 60}, FEED_VARIANTS[1]]}, "variants"),
        ({"variants": [FEED_VARIANTS[0], {**FEED_VARIANTS[1], "key": "control"}]}, "variants"),
        (
            {"variants": [FEED_VARIANTS[0], {**FEED_VARIANTS[1], "config": {"personal": 2}}]},
            "variants",
        ),
        (
            {"target": "recommendations_algorithm"},  # feed configs do not fit this target
            "variants",
        ),
        ({"target": "the_moon"}, "target"),
        ({"primary_metric": "happiness"}, "primary_metric"),
        ({"traffic_allocation": 101}, "traffic_allocation"),
        ({"key": "Not a slug!"}, "key"),
    ],
)
def test_a_bad_definition_is_a_400_naming_the_field(staff, overrides, field: str) -> None:
    response = staff.post(BASE, definition(**overrides), format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Experiment.objects.exists()


def test_the_lifecycle_and_its_conflicts(staff) -> None:
    staff.post(BASE, definition(), format="json")
    assert (
        staff.patch(f"{BASE}feed-mix/", {"traffic_allocation": 80}, format="json").json()[
            "traffic_allocation"
        ]
        == 80
    )  # a draft may change

    started = staff.post(f"{BASE}feed-mix/start/")
    assert started.status_code == 200 and started.json()["status"] == "running"
    assert started.json()["ends_at"] is not None
    assert staff.post(f"{BASE}feed-mix/start/").json()["error"]["code"] == "invalid_transition"
    frozen = staff.patch(
        f"{BASE}feed-mix/",
        {"variants": [{**FEED_VARIANTS[0], "weight": 90}, {**FEED_VARIANTS[1], "weight": 10}]},
        format="json",
    )
    assert frozen.status_code == 409 and frozen.json()["error"]["code"] == "experiment_frozen"
    renamed = staff.patch(f"{BASE}feed-mix/", {"name": "Feed mix"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "Feed mix"
    assert staff.delete(f"{BASE}feed-mix/").json()["error"]["code"] == "experiment_running"

    staff.post(BASE, definition(key="feed-mix-2"), format="json")
    busy = staff.post(f"{BASE}feed-mix-2/start/")
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "target_busy"
    assert Experiment.objects.get(key="feed-mix-2").status == ExperimentStatus.DRAFT

    stopped = staff.post(f"{BASE}feed-mix/stop/")
    assert stopped.json()["status"] == "stopped" and stopped.json()["end_reason"]
    assert staff.post(f"{BASE}feed-mix/stop/").status_code == 409
    assert staff.post(f"{BASE}feed-mix-2/start/").status_code == 200  # the target is free
    assert staff.delete(f"{BASE}feed-mix/").status_code == 204
    assert staff.get(f"{BASE}feed-mix/").json()["error"]["code"] == "experiment_not_found"


def test_results_of_an_experiment_nobody_saw_yet(staff) -> None:
    staff.post(BASE, definition(), format="json")
    staff.post(f"{BASE}feed-mix/start/")

    results = staff.get(f"{BASE}feed-mix/results/").json()

    assert results["exposures"] == 0
    assert [v["key"] for v in results["variants"]] == ["control", "more_interest"]
    assert results["significant"] is False
    assert results["sample_ratio_mismatch"]["flagged"] is False
    assert results["verdict"].startswith("Not enough data")
