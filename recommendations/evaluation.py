"""Offline evaluation: how well each algorithm finds what people went on to choose.

On a deterministic ``seed_demo`` dataset (its people have planted tastes), each person's most
recent positive interactions -- saves, and applications that were accepted -- are held out:
removed, inside a transaction that is rolled back at the end, before the feature store is
rebuilt. Then every algorithm recommends 10 items per person and is scored against what was
held out: precision@10, recall@10, NDCG@10 and catalogue coverage. Founders are scored on
talent: the people accepted for their open roles (which talent recommendations never see).

Only what a recommender may show counts as relevant: open opportunities, available people.
"""

import io
import math
import operator
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q

from accounts.models import Availability, Role, User
from recommendations import engine, features, rules, selectors
from recommendations.engine import BEHAVIOUR_ONLY
from recommendations.models import Interaction, InteractionKind, ItemType
from startups.models import (
    Application,
    ApplicationStatus,
    Opportunity,
    OpportunityStatus,
    Save,
    Startup,
)

K = 10


# --- Metrics (binary relevance) ---------------------------------------------------------------


def precision_at_k(recommended: Sequence[int], relevant: set[int], k: int = K) -> float:
    """Share of the k places filled with relevant items (an empty place counts as a miss)."""
    return sum(1 for item in recommended[:k] if item in relevant) / k


def recall_at_k(recommended: Sequence[int], relevant: set[int], k: int = K) -> float:
    if not relevant:
        return 0.0
    return sum(1 for item in recommended[:k] if item in relevant) / len(relevant)


def ndcg_at_k(recommended: Sequence[int], relevant: set[int], k: int = K) -> float:
    """DCG of the list over the DCG of a perfect list: hits near the top count more."""
    dcg = sum(
        1 / math.log2(rank + 2) for rank, item in enumerate(recommended[:k]) if item in relevant
    )
    ideal = sum(1 / math.log2(rank + 2) for rank in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def coverage(lists: Sequence[Sequence[int]], catalogue_size: int, k: int = K) -> float:
    """Share of the catalogue that appears in at least one top-k list."""
    if not catalogue_size:
        return 0.0
    return len({item for items in lists for item in items[:k]}) / catalogue_size


@dataclass
class Score:
    users: int = 0
    precision: float = 0.0
    recall: float = 0.0
    ndcg: float = 0.0
    coverage: float = 0.0
    ndcgs: dict[int, float] = field(default_factory=dict, repr=False)  # per person


def score(
    recommend: Callable[[int], Sequence[int]],
    relevant: dict[int, set[int]],
    catalogue_size: int,
    k: int = K,
) -> Score:
    """Mean precision, recall and NDCG over the people in ``relevant``, and the coverage of all
    their lists; ``recommend(user_id)`` returns item ids, best first."""
    lists = {user_id: list(recommend(user_id)) for user_id in sorted(relevant)}
    count = len(lists)
    if not count:
        return Score()
    ndcgs = {u: ndcg_at_k(lists[u], relevant[u], k) for u in lists}
    return Score(
        users=count,
        precision=sum(precision_at_k(lists[u], relevant[u], k) for u in lists) / count,
        recall=sum(recall_at_k(lists[u], relevant[u], k) for u in lists) / count,
        ndcg=sum(ndcgs.values()) / count,
        coverage=coverage(list(lists.values()), catalogue_size, k),
        ndcgs=ndcgs,
    )


# --- The experiment ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """One type, for people of one role."""

    label: str
    type: str
    role: str
    strategy: str  # the engine strategy that answers it (its RECOMMENDATIONS_WEIGHTS key)


TASKS = (
    Task("startups for talent", "startups", Role.TALENT, "startups"),
    Task("opportunities for talent", "opportunities", Role.TALENT, "opportunities"),
    Task("talent for founders", "talent", Role.FOUNDER, "talent"),
    Task("startups for investors", "startups", Role.INVESTOR, "startups_traction"),
)
# What is scored: the served algorithms and behaviour alone (item-to-item, no cold start).
EVALUATED = ("hybrid", "content", BEHAVIOUR_ONLY, "popularity", "random")


@dataclass
class Report:
    seed: int
    sizes: dict[str, int]
    holdout: float
    held_out: int = 0
    foreign: int = 0  # startups already in the database, not from the evaluation's seed
    rows: list[tuple[Task, str, Score]] = field(default_factory=list)

    def ndcg(self, task: Task, algorithm: str) -> float:
        return next(s.ndcg for t, a, s in self.rows if t == task and a == algorithm)


@dataclass
class _Dataset:
    relevant: dict[Task, dict[int, set[int]]]
    catalogue: dict[Task, int]
    held_out: int


# seed_demo's named behaviour settings (``seed_demo --preset``; demo.seed.PRESETS, which this
# app may not import): the default, and one where popularity is hard to beat.
PRESETS = ("default", "strong-skew")
SIZES = {  # one dataset of the single-seed evaluation (``--seed``)
    "users": 3000,
    "startups": 600,
    "opportunities": 1200,
    "applications": 6000,
    "saves": 15000,
}
SIZES_PER_SEED = {  # each of many (``--seeds``): half of it, the same proportions
    "users": 1500,
    "startups": 300,
    "opportunities": 600,
    "applications": 3000,
    "saves": 7500,
}


@contextmanager
def held_out_dataset(
    *,
    seed: int,
    sizes: dict[str, int],
    holdout: float,
    people: int,
    preset: str = "default",
    keep: bool = False,
) -> Iterator[_Dataset]:
    """Inside: the seed's ``seed_demo`` data (``preset``: its named behaviour setting) with
    the held-out interactions removed and the feature store rebuilt without them. All of it
    is rolled back afterwards unless ``keep``."""
    with transaction.atomic(), features.uncached():
        call_command(
            "seed_demo",
            seed=seed,
            preset=preset,
            no_activity=True,
            verbosity=0,
            stdout=io.StringIO(),
            **sizes,
        )
        features.interactions_reconcile()
        dataset = _hold_out(seed=seed, holdout=holdout, people=people)
        features.features_rebuild()
        yield dataset
        if not keep:
            transaction.set_rollback(True)
    if keep:  # the data stays: what was cached before it is out of date
        features.cache_forget()


def _score_algorithms(
    dataset: _Dataset,
    algorithms: Sequence[str],
    blends: Mapping[str, Mapping[str, float]] | None,
    log: Callable[[str], None],
) -> list[tuple[Task, str, Score]]:
    """Every algorithm on every task, each list computed by the selector as the view calls
    it, uncached; the hybrid blended with ``blends`` (None: the configured weights)."""
    users = User.objects.in_bulk({u for relevant in dataset.relevant.values() for u in relevant})
    rows = []
    with engine.weights_used(blends or {}):
        for task in TASKS:
            for algorithm in algorithms:

                def recommend(
                    user_id: int, task: Task = task, algorithm: str = algorithm
                ) -> list[int]:
                    result = selectors.recommendation_list(
                        user=users[user_id],
                        type=task.type,
                        limit=K,
                        algorithm=algorithm,
                        use_cache=False,
                    )
                    return [item["id"] for item in result["recommendations"]]

                result = score(recommend, dataset.relevant[task], dataset.catalogue[task])
                rows.append((task, algorithm, result))
                log(f"{task.label:<26}{algorithm:<11} NDCG@10 {result.ndcg:.4f}")
    return rows


def evaluate(
    *,
    seed: int = 7,
    sizes: dict[str, int] | None = None,
    holdout: float = 0.2,
    people: int = 200,
    algorithms: Sequence[str] = EVALUATED,
    blends: Mapping[str, Mapping[str, float]] | None = None,
    preset: str = "default",
    keep: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> Report:
    """One seed's experiment; everything it writes is rolled back unless ``keep``."""
    sizes = sizes or SIZES
    report = Report(seed=seed, sizes=sizes, holdout=holdout)
    report.foreign = _foreign_startups(seed)
    with held_out_dataset(
        seed=seed, sizes=sizes, holdout=holdout, people=people, preset=preset, keep=keep
    ) as dataset:
        report.held_out = dataset.held_out
        log(f"held out {dataset.held_out} positive interactions; feature store rebuilt")
        report.rows = _score_algorithms(dataset, algorithms, blends, log)
    return report


def _foreign_startups(seed: int) -> int:
    """Startups in the database that are not the evaluation's: they join the catalogue."""
    suffix = f".s{seed}@{settings.DEMO_EMAIL_DOMAIN}"
    return Startup.objects.exclude(owner__email__endswith=suffix).count()


def _seed_users(seed: int, role: str) -> list[int]:
    suffix = f".s{seed}@{settings.DEMO_EMAIL_DOMAIN}"
    return list(
        User.objects.filter(email__endswith=suffix, role=role)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _hold_out(*, seed: int, holdout: float, people: int) -> _Dataset:
    """Remove each sampled person's most recent positives; returns what each task must find."""
    open_opportunities = set(
        Opportunity.objects.filter(status=OpportunityStatus.OPEN).values_list("pk", flat=True)
    )
    accepted = set(
        Application.objects.filter(status=ApplicationStatus.ACCEPTED).values_list(
            "applicant_id", "opportunity_id"
        )
    )
    relevant: dict[Task, dict[int, set[int]]] = {task: {} for task in TASKS}
    removed: list[tuple[int, str, int]] = []
    for role, tasks in (
        (Role.TALENT, [TASKS[0], TASKS[1]]),
        (Role.INVESTOR, [TASKS[3]]),
    ):
        candidates = _seed_users(seed, role)
        positives = _positives(candidates, accepted, open_opportunities)
        chosen = [u for u in candidates if sum(map(len, positives[u].values())) >= 2][:people]
        for user_id in chosen:
            held = _latest(positives[user_id], holdout)
            for task in tasks:
                wanted = _item_type(task)
                found = {item_id for item_type, item_id in held if item_type == wanted}
                if found:
                    relevant[task][user_id] = found
            for item_type, item_id in held:
                removed.append((user_id, item_type, item_id))
    held_out = 0
    for start in range(0, len(removed), 300):
        batch = removed[start : start + 300]
        held_out += Interaction.objects.filter(
            _any(Q(user_id=u, item_type=t, item_id=i) for u, t, i in batch)
        ).delete()[0]
        # The rows behind them go too, or the rebuild would record them again.
        Save.objects.filter(_any(Q(user_id=u, **{t: i}) for u, t, i in batch)).delete()
        Application.objects.filter(
            _any(
                Q(applicant_id=u, opportunity_id=i)
                for u, t, i in batch
                if t == ItemType.OPPORTUNITY
            )
        ).delete()
    relevant[TASKS[2]] = _accepted_talent(seed, people, open_opportunities)
    catalogue = {
        TASKS[0]: Startup.objects.count(),
        TASKS[1]: len(open_opportunities),
        TASKS[2]: User.objects.filter(role=Role.TALENT, is_active=True).count(),
        TASKS[3]: Startup.objects.count(),
    }
    return _Dataset(relevant=relevant, catalogue=catalogue, held_out=held_out)


def _any(conditions: Iterable[Q]) -> Q:
    """OR of the conditions; matches nothing when there are none."""
    return reduce(operator.or_, conditions, Q(pk__in=[]))


def _item_type(task: Task) -> str:
    return ItemType.OPPORTUNITY if task.type == "opportunities" else ItemType.STARTUP


def _positives(
    users: list[int], accepted: set[tuple[int, int]], open_opportunities: set[int]
) -> dict[int, dict[str, list[tuple[str, int]]]]:
    """Per person and kind (saves, accepted applications), oldest first: the positives still
    recommendable (an opportunity must be open)."""
    positives: dict[int, dict[str, list[tuple[str, int]]]] = defaultdict(
        lambda: {InteractionKind.SAVE: [], InteractionKind.APPLY: []}
    )
    rows = (
        Interaction.objects.filter(
            user_id__in=users, kind__in=[InteractionKind.SAVE, InteractionKind.APPLY]
        )
        .order_by("user_id", "created_at", "id")
        .values_list("user_id", "kind", "item_type", "item_id")
    )
    for user_id, kind, item_type, item_id in rows.iterator(chunk_size=5000):
        if kind == InteractionKind.APPLY and (user_id, item_id) not in accepted:
            continue
        if item_type == ItemType.OPPORTUNITY and item_id not in open_opportunities:
            continue
        items = positives[user_id][kind]
        if (item_type, item_id) not in items:
            items.append((item_type, item_id))
    return positives


def _latest(by_kind: dict[str, list[tuple[str, int]]], share: float) -> list[tuple[str, int]]:
    """The most recent ``share`` of each kind, rounded up (so accepted applications are held
    out too, whatever their dates next to saves)."""
    held: list[tuple[str, int]] = []
    for items in by_kind.values():
        count = math.ceil(len(items) * share)
        held.extend(items[len(items) - count :] if count else [])
    return list(dict.fromkeys(held))


def _accepted_talent(seed: int, people: int, open_opportunities: set[int]) -> dict[int, set[int]]:
    """Founder -> the available people accepted for their open roles. Those applications are
    what is predicted: they are removed (talent recommendations never read applications, but
    activity counts do)."""
    founders = set(_seed_users(seed, Role.FOUNDER))
    accepted: dict[int, set[int]] = defaultdict(set)
    rows = Application.objects.filter(
        status=ApplicationStatus.ACCEPTED,
        opportunity_id__in=open_opportunities,
        opportunity__startup__owner_id__in=founders,
        applicant__is_active=True,
    ).exclude(applicant__availability=Availability.NOT_LOOKING)
    pairs = list(
        rows.values_list("opportunity__startup__owner_id", "applicant_id", "opportunity_id")
    )
    for owner_id, applicant_id, _ in sorted(pairs):
        accepted[owner_id].add(applicant_id)
    chosen = {owner: accepted[owner] for owner in sorted(accepted)[:people]}
    held = [(a, o) for owner, a, o in pairs if owner in chosen]
    for start in range(0, len(held), 300):
        batch = held[start : start + 300]
        Interaction.objects.filter(
            _any(
                Q(user_id=a, kind=InteractionKind.APPLY, item_type=ItemType.OPPORTUNITY, item_id=o)
                for a, o in batch
            )
        ).delete()
        Application.objects.filter(
            _any(Q(applicant_id=a, opportunity_id=o) for a, o in batch)
        ).delete()
    return chosen


def as_rows(report: Report) -> list[dict[str, Any]]:
    return [
        {
            "task": task.label,
            "algorithm": algorithm,
            "users": result.users,
            "precision@10": round(result.precision, 4),
            "recall@10": round(result.recall, 4),
            "ndcg@10": round(result.ndcg, 4),
            "coverage": round(result.coverage, 4),
        }
        for task, algorithm, result in report.rows
    ]


# --- Many seeds: weights chosen on some, quality reported on others ----------------------------


def seed_range(text: str) -> list[int]:
    """'1-10' or '1,3,5-7' -> the seeds, in order, once each."""
    seeds: list[int] = []
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        low = int(first)
        seeds.extend(range(low, int(last) + 1) if last else [low])
    return list(dict.fromkeys(seeds))


def weight_grid(step: float = 0.1, least: float = 0.1) -> list[dict[str, float]]:
    """Every blend of the three signals in steps of ``step`` that sums to 1, each signal at
    least ``least``: a signal weighted 0 would still write its reasons ("Matches 3 of 4 skills
    you list") on results it did not rank, and every reason must be part of the score."""
    parts, low = round(1 / step), math.ceil(round(least / step, 6))
    return [
        {
            "content": round(c * step, 6),
            "behaviour": round(b * step, 6),
            "popularity": round((parts - c - b) * step, 6),
        }
        for c in range(low, parts + 1)
        for b in range(low, parts + 1 - c)
        if parts - c - b >= low
    ]


def _hybrid_lists(user: User, task: Task, grid: Sequence[Mapping[str, float]]) -> list[list[int]]:
    """The hybrid's top k for ``user`` under each blend of ``grid``: the engine's own run,
    with its candidates gathered and scored once and only the blend and the rules repeated
    (``test_evaluation`` checks it equals the selector's list)."""
    strategy = engine.strategy_for(user, task.type)
    ctx = engine.Context(user=user, type=task.type, algorithm="hybrid")
    ctx.algorithm = engine.algorithm_resolve(ctx, strategy)
    if ctx.algorithm != "hybrid":  # content or trending: the blend plays no part
        ids = [c.id for c in engine.run(ctx, strategy) if c.reasons][:K]
        return [ids] * len(grid)
    scored = [c for c in engine.candidates_scored(ctx, strategy) if c.reasons]
    kept = rules.rules_filter_boost(ctx, scored)
    lists = []
    for signals in grid:
        engine.blend(ctx, kept, signals)
        lists.append([c.id for c in rules.rules_rank(ctx, kept)][:K])
    return lists


@dataclass
class Tuning:
    seeds: list[int]
    grid: list[dict[str, float]]
    # task -> per seed, per blend of the grid: mean NDCG@10 over the seed's people
    ndcg: dict[Task, list[list[float]]] = field(default_factory=dict)
    # task -> per seed, per blend: the catalogue coverage of those people's top 10s
    coverage: dict[Task, list[list[float]]] = field(default_factory=dict)
    chosen: dict[Task, dict[str, float]] = field(default_factory=dict)
    # leave-one-seed-out: per tuning seed, NDCG@10 of the blend chosen on the others
    cross_validated: dict[Task, list[float]] = field(default_factory=dict)

    def blends(self) -> dict[str, dict[str, float]]:
        return {task.strategy: weights for task, weights in self.chosen.items()}


def _best(
    ndcg: Sequence[Sequence[float]],
    coverage: Sequence[Sequence[float]] | None,
    seeds: Iterable[int],
) -> int:
    """The grid index to choose on ``seeds`` (indexes into the tables), by the one-standard-
    error rule: of the blends whose mean NDCG@10 is within one standard error (over the seeds)
    of the best mean, the one whose lists cover the most of the catalogue -- a difference in
    NDCG the seeds cannot tell from noise does not buy narrower lists. Without coverage, the
    best mean. Ties go to the earlier blend."""
    chosen = list(seeds)
    blends = range(len(ndcg[0]))
    means = [statistics.fmean(ndcg[s][g] for s in chosen) for g in blends]
    best = max(blends, key=lambda g: (means[g], -g))
    if coverage is None or len(chosen) < 2:
        return best
    error = statistics.stdev(ndcg[s][best] for s in chosen) / math.sqrt(len(chosen))
    covered = [statistics.fmean(coverage[s][g] for s in chosen) for g in blends]
    eligible = [g for g in blends if means[g] >= means[best] - error]
    return max(eligible, key=lambda g: (covered[g], means[g], -g))


def weights_choose(tuning: Tuning) -> Tuning:
    """Choose each task's blend on all tuning seeds (``_best``), and estimate how well choosing
    does by leave-one-seed-out cross-validation (each seed scored with the blend the others
    chose)."""
    for task, table in tuning.ndcg.items():
        coverage = tuning.coverage.get(task)
        everyone = range(len(table))
        tuning.chosen[task] = tuning.grid[_best(table, coverage, everyone)]
        tuning.cross_validated[task] = [
            table[held][_best(table, coverage, (s for s in everyone if s != held))]
            if len(table) > 1
            else table[held][_best(table, coverage, everyone)]
            for held in everyone
        ]
    return tuning


def weights_tune(
    *,
    seeds: Sequence[int],
    sizes: dict[str, int],
    holdout: float,
    people: int,
    step: float = 0.1,
    least: float = 0.1,
    log: Callable[[str], None] = lambda message: None,
) -> Tuning:
    """Score every blend of the grid on each tuning seed's held-out data, then choose."""
    grid = weight_grid(step, least)
    tuning = Tuning(
        seeds=list(seeds),
        grid=grid,
        ndcg={task: [] for task in TASKS},
        coverage={task: [] for task in TASKS},
    )
    for seed in seeds:
        with held_out_dataset(seed=seed, sizes=sizes, holdout=holdout, people=people) as data:
            users = User.objects.in_bulk(
                {u for relevant in data.relevant.values() for u in relevant}
            )
            for task in TASKS:
                relevant = data.relevant[task]
                totals = [0.0] * len(grid)
                shown: list[set[int]] = [set() for _ in grid]
                for user_id in sorted(relevant):
                    lists = _hybrid_lists(users[user_id], task, grid)
                    for index, ids in enumerate(lists):
                        totals[index] += ndcg_at_k(ids, relevant[user_id])
                        shown[index].update(ids[:K])
                count = max(len(relevant), 1)
                tuning.ndcg[task].append([total / count for total in totals])
                size = max(data.catalogue[task], 1)
                tuning.coverage[task].append([len(items) / size for items in shown])
        log(f"tuning seed {seed}: {len(grid)} blends scored")
    return weights_choose(tuning)


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


def ratio_interval(
    hybrid: Sequence[Mapping[int, float]],
    baseline: Sequence[Mapping[int, float]],
    *,
    resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Mean NDCG of ``hybrid`` over ``baseline``'s, pooled over seeds (each a mapping person ->
    NDCG, the same people for both), with a percentile bootstrap interval that resamples in
    two stages: the seeds, then the people within each drawn seed (the pairs stay paired).
    A resample whose baseline sums to 0 counts as an infinite ratio."""
    pairs = [
        [(h[person], b[person]) for person in sorted(h)]
        for h, b in zip(hybrid, baseline, strict=True)
    ]
    pairs = [seed_pairs for seed_pairs in pairs if seed_pairs]
    if not pairs:
        return Interval(math.nan, math.nan, math.nan)

    def ratio(numerator: float, denominator: float) -> float:
        if denominator > 0:
            return numerator / denominator
        return math.inf if numerator > 0 else math.nan

    estimate = ratio(
        sum(h for seed_pairs in pairs for h, _ in seed_pairs),
        sum(b for seed_pairs in pairs for _, b in seed_pairs),
    )
    rng = random.Random(seed)  # noqa: S311 (resampling, not secrets)
    ratios = []
    for _ in range(resamples):
        numerator = denominator = 0.0
        for seed_pairs in rng.choices(pairs, k=len(pairs)):
            for h, b in rng.choices(seed_pairs, k=len(seed_pairs)):
                numerator += h
                denominator += b
        value = ratio(numerator, denominator)
        if not math.isnan(value):
            ratios.append(value)
    if not ratios:
        return Interval(estimate, math.nan, math.nan)
    ratios.sort()
    tail = (1 - confidence) / 2
    low = ratios[min(len(ratios) - 1, int(tail * len(ratios)))]
    high = ratios[min(len(ratios) - 1, math.ceil((1 - tail) * len(ratios)) - 1)]
    return Interval(estimate, low, high)


@dataclass
class SeedsReport:
    seeds: list[int]
    preset: str
    sizes: dict[str, int]
    holdout: float
    blends: dict[str, dict[str, float]]
    held_out: list[int] = field(default_factory=list)  # per seed
    scores: dict[tuple[Task, str], list[Score]] = field(default_factory=dict)  # per seed
    seconds: list[float] = field(default_factory=list)  # per seed

    def summary(self, task: Task, algorithm: str) -> dict[str, tuple[float, float]]:
        """Metric -> (mean, standard deviation) over the seeds."""
        runs = self.scores[task, algorithm]
        found = {}
        for metric in ("precision", "recall", "ndcg", "coverage"):
            values = [getattr(run, metric) for run in runs]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            found[metric] = (statistics.fmean(values), spread)
        found["people"] = (statistics.fmean(run.users for run in runs), 0.0)
        return found

    def ratio(self, task: Task, baseline: str = "popularity") -> Interval:
        return ratio_interval(
            [run.ndcgs for run in self.scores[task, "hybrid"]],
            [run.ndcgs for run in self.scores[task, baseline]],
        )


def evaluate_seeds(
    *,
    seeds: Sequence[int],
    sizes: dict[str, int],
    holdout: float,
    people: int,
    blends: Mapping[str, Mapping[str, float]] | None,
    preset: str = "default",
    algorithms: Sequence[str] = EVALUATED,
    log: Callable[[str], None] = lambda message: None,
) -> SeedsReport:
    """Every algorithm on each seed's held-out data (the hybrid with ``blends``)."""
    report = SeedsReport(
        seeds=list(seeds),
        preset=preset,
        sizes=sizes,
        holdout=holdout,
        blends={name: dict(weights) for name, weights in (blends or {}).items()},
    )
    for seed in seeds:
        started = time.monotonic()
        with held_out_dataset(
            seed=seed, sizes=sizes, holdout=holdout, people=people, preset=preset
        ) as dataset:
            report.held_out.append(dataset.held_out)
            for task, algorithm, result in _score_algorithms(dataset, algorithms, blends, log):
                report.scores.setdefault((task, algorithm), []).append(result)
        report.seconds.append(time.monotonic() - started)
        log(f"{preset} seed {seed}: {report.seconds[-1]:.1f} s")
    return report


def seeds_as_json(reports: Sequence[SeedsReport], tuning: Tuning | None) -> dict[str, Any]:
    """The held-out evaluation as plain data (``recommendations_evaluate --seeds --json``)."""
    found: dict[str, Any] = {
        "tuning": None
        if tuning is None
        else {
            "seeds": tuning.seeds,
            "chosen": {task.label: tuning.chosen[task] for task in TASKS},
            "cross_validated_ndcg": {task.label: tuning.cross_validated[task] for task in TASKS},
        },
        "presets": {},
    }
    for report in reports:
        rows = []
        for task in TASKS:
            for algorithm in EVALUATED:
                summary = report.summary(task, algorithm)
                rows.append(
                    {
                        "task": task.label,
                        "algorithm": algorithm,
                        **{
                            f"{metric}_mean": round(mean, 4)
                            for metric, (mean, _) in summary.items()
                        },
                        **{
                            f"{metric}_sd": round(spread, 4)
                            for metric, (_, spread) in summary.items()
                            if metric != "people"
                        },
                    }
                )
        ratios = {}
        for task in TASKS:
            interval = report.ratio(task)
            ratios[task.label] = {
                "ratio": round(interval.estimate, 3),
                "low": round(interval.low, 3),
                "high": round(interval.high, 3),
            }
        found["presets"][report.preset] = {
            "seeds": report.seeds,
            "sizes": report.sizes,
            "held_out": report.held_out,
            "seconds": [round(seconds, 1) for seconds in report.seconds],
            "rows": rows,
            "hybrid_over_popularity": ratios,
        }
    return found
