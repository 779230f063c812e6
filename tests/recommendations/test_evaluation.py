"""Offline evaluation: the metrics on tiny datasets whose answers are worked out by hand, and
the command end to end (it leaves nothing behind)."""

import io
import math

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command

from recommendations import evaluation, features
from recommendations.evaluation import coverage, ndcg_at_k, precision_at_k, recall_at_k, score
from recommendations.models import Interaction
from startups.models import Application, Save, Startup
from tests.accounts.factories import UserFactory
from tests.startups.factories import (
    ApplicationFactory,
    OpportunityFactory,
    SaveFactory,
    StartupFactory,
)


def test_precision_and_recall_at_k() -> None:
    relevant = {2, 5, 9}
    recommended = [2, 1, 5, 7]  # hits at ranks 1 and 3; six places left empty
    assert precision_at_k(recommended, relevant, k=10) == pytest.approx(2 / 10)
    assert precision_at_k(recommended, relevant, k=2) == pytest.approx(1 / 2)
    assert recall_at_k(recommended, relevant, k=10) == pytest.approx(2 / 3)
    assert recall_at_k(recommended, set(), k=10) == 0.0


def test_ndcg_rewards_hits_near_the_top() -> None:
    relevant = {2, 5}
    # DCG = 1/log2(2) + 1/log2(4) = 1.5; ideal (two hits at the top) = 1 + 1/log2(3).
    assert ndcg_at_k([2, 1, 5], relevant, k=10) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert ndcg_at_k([2, 5, 1], relevant, k=10) == pytest.approx(1.0)
    assert ndcg_at_k([1, 2], relevant, k=10) == pytest.approx(
        (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    )
    assert ndcg_at_k([1, 3], relevant, k=10) == 0.0
    assert ndcg_at_k([5], relevant, k=1) == pytest.approx(1.0)  # the ideal is cut at k too


def test_coverage_counts_distinct_items_in_the_top_k() -> None:
    assert coverage([[1, 2], [2, 3], [3, 4, 5]], catalogue_size=10, k=2) == pytest.approx(4 / 10)
    assert coverage([], catalogue_size=0) == 0.0


def test_score_averages_over_people() -> None:
    lists = {1: [10, 11], 2: [20, 21]}
    relevant = {1: {10}, 2: {99}}

    result = score(lambda user: lists[user], relevant, catalogue_size=8, k=2)

    assert result.users == 2
    assert result.precision == pytest.approx((1 / 2 + 0) / 2)
    assert result.recall == pytest.approx((1 + 0) / 2)
    assert result.ndcg == pytest.approx((1 + 0) / 2)
    assert result.coverage == pytest.approx(4 / 8)


@pytest.mark.django_db
def test_the_command_reports_every_algorithm_and_keeps_nothing(capsys) -> None:
    before = (Startup.objects.count(), Save.objects.count(), Interaction.objects.count())

    call_command(
        "recommendations_evaluate",
        "--users=120",
        "--startups=40",
        "--opportunities=60",
        "--applications=200",
        "--saves=500",
        "--people=20",
    )

    out = capsys.readouterr().out
    for task in evaluation.TASKS:
        for algorithm in ("hybrid", "content", "popularity", "random"):
            row = next(
                line
                for line in out.splitlines()
                if line.startswith(f"{task.label:<26}{algorithm} ")
            )
            people, *metrics = row[26 + 12 :].split()
            assert int(people) > 0, row
            assert all(0.0 <= float(value) <= 1.0 for value in metrics), row
        assert f"hybrid NDCG@10 / popularity's, {task.label}:" in out
    assert (Startup.objects.count(), Save.objects.count(), Interaction.objects.count()) == before


@pytest.mark.django_db
def test_hold_out_takes_the_latest_of_each_kind_and_removes_their_rows() -> None:
    seed = 99

    def person(number: int, role: str = "talent"):
        return UserFactory(email=f"{role}{number}.s{seed}@{settings.DEMO_EMAIL_DOMAIN}", role=role)

    ada = person(1)
    saved = [StartupFactory() for _ in range(5)]
    for startup in saved:  # oldest first
        SaveFactory(user=ada, startup=startup)
    accepted_job, pending_job = OpportunityFactory(), OpportunityFactory()
    ApplicationFactory(applicant=ada, opportunity=accepted_job, status="accepted")
    ApplicationFactory(applicant=ada, opportunity=pending_job)
    person(2)  # nothing to hold out: not evaluated
    features.interactions_reconcile()

    dataset = evaluation._hold_out(seed=seed, holdout=0.2, people=10)

    tasks = {task.label: task for task in evaluation.TASKS}
    assert dataset.relevant[tasks["startups for talent"]] == {ada.pk: {saved[-1].pk}}
    assert dataset.relevant[tasks["opportunities for talent"]] == {ada.pk: {accepted_job.pk}}
    assert dataset.held_out == 2
    assert not Save.objects.filter(user=ada, startup=saved[-1]).exists()
    assert Save.objects.filter(user=ada).count() == 4
    assert not Application.objects.filter(applicant=ada, opportunity=accepted_job).exists()
    assert Application.objects.filter(applicant=ada, opportunity=pending_job).exists()
    assert not Interaction.objects.filter(user=ada, item_id=saved[-1].pk).exists()


@pytest.mark.django_db
def test_the_evaluation_leaves_the_shared_cache_alone() -> None:
    cache.clear()

    call_command(
        "recommendations_evaluate",
        "--users=60",
        "--startups=20",
        "--opportunities=30",
        "--applications=60",
        "--saves=150",
        "--people=5",
        stdout=io.StringIO(),
    )

    # Skill weights (read by every run) and trending lists (cold starts) of rolled-back data
    # would be wrong for everyone else.
    assert cache.get(features.CACHE_IDF) is None
    assert not any(
        cache.get(features.CACHE_TRENDING.format(role=role, item_type=item_type)) is not None
        for role in ("talent", "founder", "investor")
        for item_type in ("startup", "opportunity")
    )
