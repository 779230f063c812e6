"""Matrix factorisation (``implicit``'s ALS) against today's item-to-item cosine as the
recommendations' behaviour source, on the held-out splits of ``recommendations_evaluate``.

``implicit`` is not a dependency of the project (it was not adopted, docs/benchmarks.md); to
run this, install it apart, e.g.::

    .venv/bin/python -m pip install --target /tmp/als-pkgs implicit==0.7.3
    DATABASE_URL=sqlite:////tmp/als.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/als.sqlite3 PYTHONPATH=/tmp/als-pkgs OPENBLAS_NUM_THREADS=1 \\
        .venv/bin/python bench/recommendations_als.py --seeds 1-10 --tune-seeds 101-102

For each seed, in ``evaluation.held_out_dataset`` (held-out interactions removed, feature
store rebuilt without them, all rolled back): ALS is fitted on the same interactions and
weights as the cosine similarities (each person's strongest interaction with an item, by kind,
decayed; startups and opportunities in one matrix), and each person's recommendations are run
twice through the real pipeline -- ``behaviour`` alone and the ``hybrid`` (configured weights)
-- once with the stored cosine neighbours and once with the strategy's behaviour source
replaced by the person's 200 best ALS items of the type (scores scaled to the best one). Same
candidates' content and popularity, same rules, same people. ALS's factors, regularisation and
confidence scale are chosen on ``--tune-seeds`` by the hybrid's mean NDCG@10 over the three
item types (talent for founders has no item behaviour). Prints mean NDCG@10 per type and
source, and the ALS / cosine ratio with the evaluation's two-stage bootstrap interval.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GRID = [
    {"factors": factors, "regularization": regularization, "alpha": alpha}
    for factors in (16, 64)
    for regularization in (0.01, 0.1)
    for alpha in (1.0, 10.0)
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1-10")
    parser.add_argument("--tune-seeds", default="101-102")
    parser.add_argument("--people", type=int, default=100)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collabhub.settings")
    os.environ.setdefault("DEBUG", "1")  # as manage.py: a development run on throwaway data
    import django

    django.setup()
    from recommendations import evaluation

    started = time.monotonic()
    tune = evaluation.seed_range(args.tune_seeds)
    scores: dict[str, list[float]] = defaultdict(list)
    for seed in tune:
        for index, found in enumerate(run_seed(seed, args.people, GRID, sources=("als",))):
            for lists in found.values():
                scores[str(index)].append(statistics.fmean(lists["hybrid", "als"].values()))
        print(f"  tuning seed {seed} done ({time.monotonic() - started:.0f} s)", file=sys.stderr)
    best = max(range(len(GRID)), key=lambda i: (statistics.fmean(scores[str(i)]), -i))
    params = GRID[best]
    print(f"ALS chosen on seeds {args.tune_seeds}: {params}")
    per_task: dict[str, dict[tuple[str, str], list[dict[int, float]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for seed in evaluation.seed_range(args.seeds):
        [found] = run_seed(seed, args.people, [params], sources=("cosine", "als"))
        for task, lists in found.items():
            for key, ndcgs in lists.items():
                per_task[task][key].append(ndcgs)
        print(f"  seed {seed} done ({time.monotonic() - started:.0f} s)", file=sys.stderr)
    print(f"{'type':<26}{'algorithm':<11}{'cosine':>9}{'ALS':>9}   ALS / cosine [95 %]")
    for task, lists in per_task.items():
        for algorithm in ("behaviour", "hybrid"):
            cosine = lists[algorithm, "cosine"]
            als = lists[algorithm, "als"]
            interval = evaluation.ratio_interval(als, cosine)
            mean_cosine = statistics.fmean(v for seed in cosine for v in seed.values())
            mean_als = statistics.fmean(v for seed in als for v in seed.values())
            print(
                f"{task:<26}{algorithm:<11}{mean_cosine:>9.4f}{mean_als:>9.4f}   "
                f"{interval.estimate:.2f}x [{interval.low:.2f}, {interval.high:.2f}]"
            )
    print(f"({time.monotonic() - started:.0f} s)")


def run_seed(
    seed: int, people: int, grid: list[dict[str, float]], sources: tuple[str, ...]
) -> list[dict[str, dict[tuple[str, str], dict[int, float]]]]:
    """Per ALS setting of ``grid``: task label -> (algorithm, source) -> person -> NDCG@10, on
    one seed's held-out data (the cosine source does not depend on the setting)."""
    from accounts.models import User
    from recommendations import engine, evaluation, rules

    results = []
    with evaluation.held_out_dataset(
        seed=seed, sizes=evaluation.SIZES_PER_SEED, holdout=0.2, people=people
    ) as data:
        user_ids = {u for relevant in data.relevant.values() for u in relevant}
        people_rows = User.objects.in_bulk(user_ids)
        algorithms = ("behaviour", "hybrid") if "cosine" in sources else ("hybrid",)
        for params in grid:
            model, users, items = fit(params)
            found: dict[str, dict[tuple[str, str], dict[int, float]]] = {}
            for task in evaluation.TASKS:
                if task.type == "talent":
                    continue
                lists: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
                for user_id, relevant in sorted(data.relevant[task].items()):
                    user = people_rows[user_id]
                    for source in sources:
                        for algorithm in algorithms:
                            strategy = engine.strategy_for(user, task.type)
                            if source == "als":
                                scores = als_scores(
                                    model, users, items, user_id, strategy.item_type
                                )
                                strategy.behaviour = lambda ctx, s=scores: s  # type: ignore[method-assign]
                            ctx = engine.Context(user=user, type=task.type, algorithm=algorithm)
                            if algorithm == "hybrid":
                                ctx.algorithm = engine.algorithm_resolve(ctx, strategy)
                            scored = engine.candidates_scored(ctx, strategy)
                            kept = rules.rules_filter_boost(ctx, [c for c in scored if c.reasons])
                            engine.blend(ctx, kept, engine.weights(strategy, ctx.algorithm))
                            ids = [c.id for c in rules.rules_rank(ctx, kept)][: evaluation.K]
                            ndcg = evaluation.ndcg_at_k(ids, relevant)
                            lists[algorithm, source][user_id] = ndcg
                found[task.label] = lists
            results.append(found)
    return results


def fit(params: dict[str, float]) -> tuple[Any, dict[int, int], list[tuple[str, int]]]:
    """ALS on the interactions the cosine similarities are computed from."""
    import numpy
    from django.utils import timezone
    from implicit.als import AlternatingLeastSquares
    from scipy.sparse import csr_matrix

    from recommendations import features
    from recommendations.models import Interaction

    now = timezone.now()
    strongest: dict[tuple[int, str, int], float] = {}
    rows = Interaction.objects.filter(kind__in=features.POSITIVE_KINDS).values_list(
        "user_id", "kind", "item_type", "item_id", "created_at"
    )
    for user_id, kind, item_type, item_id, at in rows.iterator(chunk_size=5000):
        weight = features.KIND_WEIGHTS[kind] * (0.5 + 0.5 * features.decay(at, now))
        key = (user_id, item_type, item_id)
        strongest[key] = max(strongest.get(key, 0.0), weight)
    users = {u: i for i, u in enumerate(sorted({u for u, _, _ in strongest}))}
    items = sorted({(t, i) for _, t, i in strongest})
    column = {item: i for i, item in enumerate(items)}
    matrix = csr_matrix(
        (
            numpy.array(list(strongest.values()), dtype=numpy.float32),
            (
                numpy.array([users[u] for u, _, _ in strongest]),
                numpy.array([column[t, i] for _, t, i in strongest]),
            ),
        ),
        shape=(len(users), len(items)),
    )
    model = AlternatingLeastSquares(
        factors=int(params["factors"]),
        regularization=params["regularization"],
        alpha=params["alpha"],
        iterations=15,
        random_state=0,
    )
    model.fit(matrix, show_progress=False)
    return model, users, items


def als_scores(
    model: Any, users: dict[int, int], items: list[tuple[str, int]], user_id: int, item_type: Any
) -> dict[int, tuple[float, str]]:
    """The person's 200 best items of the type by ALS, as the behaviour source returns them."""
    if user_id not in users or item_type is None:
        return {}
    values = model.item_factors @ model.user_factors[users[user_id]]
    ranked = sorted(
        (
            (float(values[index]), item_id)
            for index, (t, item_id) in enumerate(items)
            if t == item_type
        ),
        reverse=True,
    )[:200]
    return {
        item_id: (score, "People with tastes like yours engaged with this")
        for score, item_id in ranked
        if score > 0
    }


if __name__ == "__main__":
    main()
