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
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q

from accounts.models import Availability, Role, User
from recommendations import features, selectors
from recommendations.engine import ALGORITHMS
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
    return Score(
        users=count,
        precision=sum(precision_at_k(lists[u], relevant[u], k) for u in lists) / count,
        recall=sum(recall_at_k(lists[u], relevant[u], k) for u in lists) / count,
        ndcg=sum(ndcg_at_k(lists[u], relevant[u], k) for u in lists) / count,
        coverage=coverage(list(lists.values()), catalogue_size, k),
    )


# --- The experiment ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """One type, for people of one role."""

    label: str
    type: str
    role: str


TASKS = (
    Task("startups for talent", "startups", Role.TALENT),
    Task("opportunities for talent", "opportunities", Role.TALENT),
    Task("talent for founders", "talent", Role.FOUNDER),
    Task("startups for investors", "startups", Role.INVESTOR),
)


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


def evaluate(
    *,
    seed: int = 7,
    sizes: dict[str, int] | None = None,
    holdout: float = 0.2,
    people: int = 200,
    algorithms: Sequence[str] = ALGORITHMS,
    keep: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> Report:
    """Run the experiment; everything it writes is rolled back unless ``keep``."""
    sizes = sizes or {
        "users": 3000,
        "startups": 600,
        "opportunities": 1200,
        "applications": 6000,
        "saves": 15000,
    }
    report = Report(seed=seed, sizes=sizes, holdout=holdout)
    report.foreign = _foreign_startups(seed)
    with transaction.atomic(), features.uncached():
        call_command(
            "seed_demo", seed=seed, no_activity=True, verbosity=0, stdout=io.StringIO(), **sizes
        )
        features.interactions_reconcile()
        dataset = _hold_out(seed=seed, holdout=holdout, people=people)
        report.held_out = dataset.held_out
        log(f"held out {dataset.held_out} positive interactions; rebuilding the feature store")
        features.features_rebuild()
        users = User.objects.in_bulk(
            {u for relevant in dataset.relevant.values() for u in relevant}
        )
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
                report.rows.append((task, algorithm, result))
                log(f"{task.label:<26}{algorithm:<11} NDCG@10 {result.ndcg:.4f}")
        if not keep:
            transaction.set_rollback(True)
    if keep:  # the data stays: what was cached before it is out of date
        features.cache_forget()
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
