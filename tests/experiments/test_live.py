"""Staff watching the live dashboard see each experiment change as it commits
(``experiment_update`` to the ``analytics`` group): defined, started, stopped, completed,
deleted -- and, from the monitor, only when its results moved."""

import pytest
from django.db import transaction

from experiments import services
from experiments.models import ExperimentStatus
from realtime.messages import ANALYTICS_GROUP
from tests.accounts.factories import UserFactory
from tests.experiments.test_api import BASE, definition
from tests.experiments.test_results import expose, running

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client_for):
    return client_for(UserFactory(is_staff=True))


def updates(inbox) -> list[dict]:
    messages = inbox()
    assert {message["type"] for message in messages} <= {"experiment_update"}
    return [message["data"] for message in messages]


def test_each_change_of_an_experiment_is_pushed_after_it_commits(
    staff, committed, group_inbox
) -> None:
    inbox = group_inbox(ANALYTICS_GROUP)
    with committed():
        staff.post(BASE, definition(), format="json")
    (created,) = updates(inbox)
    assert created["key"] == "feed-mix" and created["status"] == "draft"
    assert created["exposures"] == 0 and created["verdict"]

    with committed():
        staff.patch(f"{BASE}feed-mix/", {"name": definition()["name"]}, format="json")
    assert updates(inbox) == []  # nothing changed: nothing to say

    with committed():
        staff.post(f"{BASE}feed-mix/start/")
    (started,) = updates(inbox)
    assert started["status"] == "running" and started["started_at"]

    with committed():
        assert staff.post(f"{BASE}feed-mix/start/").status_code == 409
    assert updates(inbox) == []  # a refused move says nothing

    with committed():
        staff.post(f"{BASE}feed-mix/stop/")
    (stopped,) = updates(inbox)
    assert stopped["status"] == "stopped" and stopped["end_reason"] and stopped["ended_at"]

    with committed():
        staff.delete(f"{BASE}feed-mix/")
    assert updates(inbox) == [{"key": "feed-mix", "status": "deleted"}]


def test_the_results_api_gives_the_same_row(staff, committed, group_inbox) -> None:
    experiment = running(min_sample_size=10)
    expose(experiment, "control", 10, 2)
    expose(experiment, "more_interest", 10, 6)
    inbox = group_inbox(ANALYTICS_GROUP)

    summary = staff.get(f"{BASE}{experiment.key}/results/").json()["summary"]
    with committed():
        services.experiments_monitor()
    (pushed,) = updates(inbox)

    assert pushed == summary
    assert summary["leader"] == "more_interest" and summary["exposures"] == 20
    assert summary["relative_lift"] == pytest.approx(2.0)


def test_the_monitor_pushes_a_running_experiment_only_when_its_results_moved(
    committed, group_inbox
) -> None:
    experiment = running(min_sample_size=1000)
    expose(experiment, "control", 5, 1)
    inbox = group_inbox(ANALYTICS_GROUP)

    with committed():
        services.experiments_monitor()
    (first,) = updates(inbox)
    assert first["exposures"] == 5

    with committed():
        services.experiments_monitor()
    assert updates(inbox) == []  # nothing moved

    expose(experiment, "more_interest", 5, 3)
    with committed():
        services.experiments_monitor()
    (moved,) = updates(inbox)
    assert moved["exposures"] == 10 and moved["status"] == ExperimentStatus.RUNNING


def test_a_push_waits_for_the_commit_and_a_rolled_back_write_sends_nothing(group_inbox) -> None:
    inbox = group_inbox(ANALYTICS_GROUP)
    author = UserFactory(is_staff=True)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.experiment_create(by=author, data=definition())
        raise RuntimeError("rolled back")
    assert updates(inbox) == []
