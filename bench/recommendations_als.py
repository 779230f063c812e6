"""Latent factors (``implicit``'s ALS, ``recommendations.factors``) against item-to-item cosine
similarity as the behaviour source of each item strategy, on the held-out splits of
``recommendations_evaluate``::

    DATABASE_URL=sqlite:////tmp/als.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/als.sqlite3 .venv/bin/python bench/recommendations_als.py \\
        --seeds 1-10

For each seed, in ``evaluation.held_out_dataset`` (held-out interactions removed, the feature
store -- similarities and the ALS fit alike -- rebuilt without them, all rolled back), every
person is run through the real selector twice per source, ``behaviour`` alone and the
``hybrid`` (the configured weights), with ``RECOMMENDATIONS_BEHAVIOUR`` set to the source for
startups, opportunities and investors' startups alike. Same candidates' content and
popularity, same rules, same people. Prints the mean NDCG@10 per type and source and the
factors / similar-items ratio with the evaluation's two-stage bootstrap interval. (Talent for
founders has no item behaviour and is not compared.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("similar-items", "factors")
STRATEGIES = ("startups", "opportunities", "startups_traction")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1-10")
    parser.add_argument("--people", type=int, default=100)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collabhub.settings")
    os.environ.setdefault("DEBUG", "1")  # as manage.py: a development run on throwaway data
    import django

    django.setup()
    from django.conf import settings
    from django.test import override_settings

    from recommendations import evaluation

    started = time.monotonic()
    # (task label, algorithm, source) -> per seed, person -> NDCG@10
    found: dict[tuple[str, str, str], list[dict[int, float]]] = defaultdict(list)
    for seed in evaluation.seed_range(args.seeds):
        with evaluation.held_out_dataset(
            seed=seed, sizes=evaluation.SIZES_PER_SEED, holdout=0.2, people=args.people
        ) as data:
            for source in SOURCES:
                behaviour = {**settings.RECOMMENDATIONS_BEHAVIOUR}
                behaviour.update(dict.fromkeys(STRATEGIES, source))
                with override_settings(RECOMMENDATIONS_BEHAVIOUR=behaviour):
                    rows = evaluation._score_algorithms(
                        data, ("behaviour", "hybrid"), None, lambda message: None
                    )
                for task, algorithm, score in rows:
                    if task.type != "talent":
                        found[task.label, algorithm, source].append(score.ndcgs)
        print(f"  seed {seed} done ({time.monotonic() - started:.0f} s)", file=sys.stderr)
    print(f"configured: {settings.RECOMMENDATIONS_BEHAVIOUR}; {settings.RECOMMENDATIONS_FACTORS}")
    header = f"{'type':<26}{'algorithm':<11}{'similar':>9}{'factors':>9}"
    print(f"{header}   factors / similar-items [95 %]")
    for task in evaluation.TASKS:
        if task.type == "talent":
            continue
        for algorithm in ("behaviour", "hybrid"):
            similar = found[task.label, algorithm, "similar-items"]
            factors = found[task.label, algorithm, "factors"]
            interval = evaluation.ratio_interval(factors, similar)
            mean_similar = statistics.fmean(v for seed in similar for v in seed.values())
            mean_factors = statistics.fmean(v for seed in factors for v in seed.values())
            print(
                f"{task.label:<26}{algorithm:<11}{mean_similar:>9.4f}{mean_factors:>9.4f}   "
                f"{interval.estimate:.2f}x [{interval.low:.2f}, {interval.high:.2f}]"
            )
    print(f"({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
