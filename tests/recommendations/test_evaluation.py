"""Offline evaluation: the metrics on tiny datasets whose answers are worked out by hand, and
the command end to end (it leaves nothing behind)."""

import io
import math

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import CommandError, call_command

from accounts.models import User
from recommendations import engine, evaluation, features, selectors
from recommendations.evaluation import coverage, ndcg_at_k, precision_at_k, recall_at_k, score
from recommendations.models import Interaction, ItemFeatures, ItemSimilarity, SkillAffinity
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
        for algorithm in ("hybrid", "content", "behaviour", "popularity", "random"):
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


# --- Many seeds: the weight choice, the ratio's interval, the split -----------------------------


def test_seed_ranges_and_the_weight_grid() -> None:
    assert evaluation.seed_range("1-3,7,2") == [1, 2, 3, 7]
    grid = evaluation.weight_grid(0.5, least=0.0)
    assert grid == [
        {"content": 0.0, "behaviour": 0.0, "popularity": 1.0},
        {"content": 0.0, "behaviour": 0.5, "popularity": 0.5},
        {"content": 0.0, "behaviour": 1.0, "popularity": 0.0},
        {"content": 0.5, "behaviour": 0.0, "popularity": 0.5},
        {"content": 0.5, "behaviour": 0.5, "popularity": 0.0},
        {"content": 1.0, "behaviour": 0.0, "popularity": 0.0},
    ]
    assert len(evaluation.weight_grid(0.1, least=0.0)) == 66  # (11 * 12) / 2
    # Each signal at least 0.1: 0.7 left in tenths for three signals, (8 * 9) / 2 blends.
    assert len(evaluation.weight_grid(0.1)) == 36
    assert min(min(blend.values()) for blend in evaluation.weight_grid(0.1)) == 0.1


def test_weights_are_chosen_on_all_tuning_seeds_and_cross_validated_leaving_one_out() -> None:
    task = evaluation.TASKS[0]
    grid = evaluation.weight_grid(0.5, least=0.0)[:3]
    # Three tuning seeds, three blends: the mean over seeds is (0.2, 0.3, 0.1) -> blend 1.
    table = [[0.1, 0.5, 0.1], [0.3, 0.1, 0.1], [0.2, 0.3, 0.1]]
    tuning = evaluation.Tuning(seeds=[1, 2, 3], grid=grid, ndcg={task: table})

    evaluation.weights_choose(tuning)

    assert tuning.chosen[task] == grid[1]
    assert tuning.blends() == {"startups": grid[1]}
    # Without seed 1 the means are (0.25, 0.2, 0.1): blend 0, which scores 0.1 on seed 1.
    # Without seed 2: (0.15, 0.4, 0.1) -> blend 1, 0.1 on seed 2. Without seed 3:
    # (0.2, 0.3, 0.1) -> blend 1, 0.3 on seed 3.
    assert tuning.cross_validated[task] == [0.1, 0.1, 0.3]


def test_weights_within_one_standard_error_of_the_best_choose_by_coverage() -> None:
    task = evaluation.TASKS[0]
    grid = evaluation.weight_grid(step=0.25, least=0.25)
    assert len(grid) == 3
    # Blend 0 is best (mean 0.30; per seed 0.28 and 0.32: standard error 0.02). Blend 1 is
    # within it (0.29) and covers more; blend 2 covers the most but is 0.05 behind.
    ndcg = [[0.28, 0.29, 0.20], [0.32, 0.29, 0.30]]
    coverage = [[0.10, 0.30, 0.90], [0.10, 0.30, 0.90]]
    tuning = evaluation.Tuning(
        seeds=[1, 2], grid=grid, ndcg={task: ndcg}, coverage={task: coverage}
    )

    evaluation.weights_choose(tuning)

    assert tuning.chosen[task] == grid[1]
    assert evaluation._best(ndcg, None, [0, 1]) == 0  # without coverage: the best mean
    # One seed left has no standard error, so its best is chosen: without the first seed,
    # blend 0 (0.32), which scores 0.28 on it; without the second, blend 1 (0.29): 0.29.
    assert tuning.cross_validated[task] == [0.28, 0.29]


def test_the_ratio_pools_people_over_seeds_and_its_interval_holds_it() -> None:
    hybrid = [{1: 0.3, 2: 0.1}, {3: 0.2}]
    popular = [{1: 0.1, 2: 0.1}, {3: 0.0}]

    interval = evaluation.ratio_interval(hybrid, popular, resamples=400)

    assert interval.estimate == pytest.approx((0.3 + 0.1 + 0.2) / (0.1 + 0.1 + 0.0))
    assert interval.low <= interval.estimate <= interval.high
    # Resamples can only give ratios of sums of these people's pairs: 1x (person 2 alone)
    # up to infinity (person 3 alone, whose baseline is 0).
    assert interval.low >= 1.0


def test_a_constant_ratio_has_an_interval_of_one_point() -> None:
    popular = [{1: 0.1, 2: 0.4}, {3: 0.2, 4: 0.05}, {5: 0.3}]
    hybrid = [{person: 2.5 * value for person, value in seed.items()} for seed in popular]

    interval = evaluation.ratio_interval(hybrid, popular, resamples=200)

    assert (interval.estimate, interval.low, interval.high) == pytest.approx((2.5, 2.5, 2.5))


@pytest.mark.django_db
def test_held_out_interactions_never_reach_the_feature_store(settings) -> None:
    """The features the recommenders read after the split were built without the held-out
    saves: not in popularity, who engaged, similarities or the person's history."""
    settings.RECOMMENDATIONS_MIN_TOGETHER = 1
    seed = 98
    email = "talent{}.s" + f"{seed}@{settings.DEMO_EMAIL_DOMAIN}"
    ada = UserFactory(email=email.format(1), role="talent", skills=["python"])
    bob = UserFactory(email=email.format(2), role="talent", skills=["python"])
    kept, held = [StartupFactory() for _ in range(4)], StartupFactory()
    OpportunityFactory(startup=held, skills=["python"])  # held hires for their skill
    for startup in kept:
        SaveFactory(user=ada, startup=startup)
    SaveFactory(user=ada, startup=held)  # ada's latest: held out (20 % of 5, rounded up)
    SaveFactory(user=bob, startup=kept[0])
    SaveFactory(user=bob, startup=held)  # bob's latest of two: held out
    nothing = dict.fromkeys(evaluation.SIZES, 0)

    with evaluation.held_out_dataset(seed=seed, sizes=nothing, holdout=0.2, people=10) as data:
        task = evaluation.TASKS[0]
        assert data.relevant[task] == {ada.pk: {held.pk}, bob.pk: {held.pk}}
        # Both saves of `held` were held out: nobody engaged with it as far as features know.
        stored = ItemFeatures.objects.get(item_type="startup", item_id=held.pk)
        assert (stored.popularity, stored.engaged, stored.recent) == (0.0, 0, {})
        assert not ItemSimilarity.objects.filter(item_id=held.pk).exists()
        assert not ItemSimilarity.objects.filter(other_id=held.pk).exists()
        assert not Interaction.objects.filter(item_type="startup", item_id=held.pk).exists()
        # What was not held out still counts: kept[0] is saved by both.
        assert ItemFeatures.objects.get(item_type="startup", item_id=kept[0].pk).engaged == 2
        # What skills say about startups was learned from the 5 saves left (ada 4, bob 1):
        # chance puts 5 * 1/5 of them on `held`, the one startup hiring for python.
        hiring = SkillAffinity.objects.get(skill__isnull=True)
        assert hiring.evidence == pytest.approx(1.0)
        context = engine.Context(user=ada, type="startups", algorithm="hybrid")
        assert held.pk not in context.positives("startup")
        assert held.pk not in context.acted_on("startup", ["save"])
    assert Save.objects.filter(startup=held).count() == 2  # rolled back


@pytest.mark.django_db
def test_tuning_reblends_exactly_what_the_selector_serves() -> None:
    """Tuning scores each person's candidates once and repeats only the blend and the rules:
    its lists must be the ones the real pipeline serves with the same weights."""
    sizes = {"users": 120, "startups": 40, "opportunities": 60, "applications": 240, "saves": 600}
    other = {"content": 0.1, "behaviour": 0.2, "popularity": 0.7}
    with evaluation.held_out_dataset(seed=5, sizes=sizes, holdout=0.2, people=8) as data:
        users = User.objects.in_bulk({u for relevant in data.relevant.values() for u in relevant})
        compared = 0
        for task in evaluation.TASKS:
            configured = dict(settings.RECOMMENDATIONS_WEIGHTS[task.strategy])
            for user_id in sorted(data.relevant[task]):
                lists = evaluation._hybrid_lists(users[user_id], task, [configured, other])
                for blend, expected in zip([configured, other], lists, strict=True):
                    with engine.weights_used({task.strategy: blend}):
                        served = selectors.recommendation_list(
                            user=users[user_id], type=task.type, algorithm="hybrid", use_cache=False
                        )
                    assert [item["id"] for item in served["recommendations"]] == expected
                    compared += 1
        assert compared >= 40


@pytest.mark.django_db
def test_the_held_out_command_reports_every_type_with_an_interval(capsys) -> None:
    call_command(
        "recommendations_evaluate",
        "--seeds=1",
        "--tune-seeds=2",
        "--presets=default,strong-skew",
        "--step=0.25",
        "--users=80",
        "--startups=20",
        "--opportunities=30",
        "--applications=120",
        "--saves=300",
        "--people=10",
    )

    out = capsys.readouterr().out
    assert "Hybrid weights chosen on tuning seeds 2" in out
    for preset in ("default", "strong-skew"):
        assert f"== {preset}: mean ± sd over 1 seeds" in out
    for task in evaluation.TASKS:
        for algorithm in evaluation.EVALUATED:
            assert (
                sum(line.startswith(f"{task.label:<26}{algorithm} ") for line in out.splitlines())
                == 2
            )
        ratio_lines = [line for line in out.splitlines() if line.startswith(f"  {task.label} ")]
        assert len(ratio_lines) == 3  # the weights chosen, then a ratio per preset
    assert Startup.objects.count() == 0


@pytest.mark.django_db
def test_tuning_and_reported_seeds_must_be_disjoint() -> None:
    with pytest.raises(CommandError, match="both tuned and reported"):
        call_command("recommendations_evaluate", "--seeds=1-3", "--tune-seeds=3-4")


def test_the_presets_reported_on_are_seed_demos() -> None:
    from demo.seed import PRESETS

    assert set(evaluation.PRESETS) == set(PRESETS)
