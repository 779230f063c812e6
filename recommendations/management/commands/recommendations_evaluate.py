"""``manage.py recommendations_evaluate``: the offline evaluation (``recommendations.evaluation``).

``--seed N``: one dataset, the hybrid blended with the configured weights.
``--seeds 1-10``: held-out quality. The hybrid's weights are chosen on ``--tune-seeds`` (the
one-standard-error rule, preferring coverage; ``evaluation._best``), checked by leave-one-seed-out
cross-validation on them (disjoint from the reported seeds), then every algorithm
is scored on each reported seed (a smaller dataset each, ``SIZES_PER_SEED``), for each
``--presets`` dataset setting; per type: mean ± sd over the seeds of P@10, R@10, NDCG@10 and
coverage, and the hybrid's NDCG@10 over popularity's with a 95 % two-stage bootstrap interval
(seeds, then people within them).
"""

import json
import statistics
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommendations import evaluation
from recommendations.evaluation import PRESETS, SIZES, SIZES_PER_SEED, TASKS


class Command(BaseCommand):
    help = (
        "Offline evaluation of the recommenders (hybrid, content, behaviour, popularity, "
        "random) on deterministic seed_demo datasets with planted tastes: hold out each "
        "person's most recent saves and accepted applications, report precision@10, recall@10, "
        "NDCG@10 and coverage. --seeds 1-10 reports held-out quality over many datasets with "
        "weights cross-validated on --tune-seeds. Everything it writes is rolled back (unless "
        "--keep, single seed only)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=7, help="seed_demo's seed (7).")
        parser.add_argument(
            "--seeds",
            help="Report over these seeds, e.g. 1-10 or 1,3,5-7 (held-out evaluation).",
        )
        parser.add_argument(
            "--tune-seeds",
            default="101-104",
            help="With --seeds: the seeds the hybrid's weights are chosen on (101-104); "
            "'none' keeps the configured RECOMMENDATIONS_WEIGHTS.",
        )
        parser.add_argument(
            "--presets",
            default="default",
            help=f"With --seeds: seed_demo settings to report on, of {', '.join(PRESETS)} "
            "(default); weights are chosen on the default one only.",
        )
        parser.add_argument(
            "--step", type=float, default=0.1, help="Weight grid step when tuning (0.1)."
        )
        parser.add_argument(
            "--least",
            type=float,
            default=0.1,
            help="Least weight of each signal when tuning (0.1): every reason a result shows "
            "must be part of its score.",
        )
        for name in SIZES:
            parser.add_argument(
                f"--{name}",
                type=int,
                help=f"({SIZES[name]:,} with --seed; {SIZES_PER_SEED[name]:,} per seed)",
            )
        parser.add_argument(
            "--holdout", type=float, default=0.2, help="Share of positives held out (0.2)."
        )
        parser.add_argument(
            "--people",
            type=int,
            help="People evaluated per type and seed (200 with --seed; 100 per seed).",
        )
        parser.add_argument("--json", action="store_true", help="Print the rows as JSON.")
        parser.add_argument("--keep", action="store_true", help="Commit the dataset (--seed).")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        log = self.stderr.write if options["verbosity"] >= 2 else (lambda message: None)
        many = options["seeds"] is not None
        defaults = SIZES_PER_SEED if many else SIZES
        sizes = {name: options[name] or defaults[name] for name in SIZES}
        people = options["people"] or (100 if many else 200)
        if many:
            if options["keep"]:
                raise CommandError("--keep is for one --seed only.")
            self._held_out(options, sizes, people, log, started)
        else:
            self._one_seed(options, sizes, people, log, started)

    # --- One seed ---------------------------------------------------------------------------

    def _one_seed(
        self, options: dict[str, Any], sizes: dict[str, int], people: int, log: Any, started: float
    ) -> None:
        report = evaluation.evaluate(
            seed=options["seed"],
            sizes=sizes,
            holdout=options["holdout"],
            people=people,
            keep=options["keep"],
            log=log,
        )
        rows = evaluation.as_rows(report)
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        write = self.stdout.write
        described = ", ".join(f"{count:,} {name}" for name, count in report.sizes.items())
        write(f"Offline evaluation on seed_demo --seed {report.seed} ({described})")
        write(
            f"Held out the most recent {report.holdout:.0%} of each person's saves and accepted "
            f"applications: {report.held_out:,} interactions. k = {evaluation.K}. Hybrid "
            "weights: the configured RECOMMENDATIONS_WEIGHTS."
        )
        if report.foreign:
            write(
                f"Note: {report.foreign:,} startups in this database are not from seed "
                f"{report.seed} and joined the catalogue; docs/benchmarks.md's figures were "
                "measured on an empty database."
            )
        write("")
        header = f"{'type':<26}{'algorithm':<12}{'people':>7}{'P@10':>9}{'R@10':>9}"
        write(header + f"{'NDCG@10':>10}{'coverage':>10}")
        for row in rows:
            write(
                f"{row['task']:<26}{row['algorithm']:<12}{row['users']:>7}"
                f"{row['precision@10']:>9.4f}{row['recall@10']:>9.4f}"
                f"{row['ndcg@10']:>10.4f}{row['coverage']:>10.4f}"
            )
        write("")
        for task in TASKS:
            hybrid, popular = report.ndcg(task, "hybrid"), report.ndcg(task, "popularity")
            ratio = f"{hybrid / popular:.2f}x" if popular else "n/a (popularity 0)"
            write(f"hybrid NDCG@10 / popularity's, {task.label}: {ratio}")
        write(
            f"({time.monotonic() - started:.0f} s; nothing was kept)" if not options["keep"] else ""
        )

    # --- Many seeds -------------------------------------------------------------------------

    def _held_out(
        self, options: dict[str, Any], sizes: dict[str, int], people: int, log: Any, started: float
    ) -> None:
        try:
            seeds = evaluation.seed_range(options["seeds"])
            tune_text = options["tune_seeds"].strip().lower()
            tune_seeds = [] if tune_text == "none" else evaluation.seed_range(tune_text)
        except ValueError as error:
            raise CommandError(f"Seeds are numbers and ranges like 1-10: {error}") from error
        presets = [name.strip() for name in options["presets"].split(",") if name.strip()]
        unknown = [name for name in presets if name not in PRESETS]
        if unknown:
            raise CommandError(f"Unknown preset {unknown[0]!r}: one of {', '.join(PRESETS)}.")
        shared = sorted(set(seeds) & set(tune_seeds))
        if shared:
            raise CommandError(
                f"Seeds {shared} are both tuned and reported on: the report would not be "
                "held out. Choose disjoint --seeds and --tune-seeds."
            )
        holdout = options["holdout"]
        tuning = None
        tuned_seconds = 0.0
        if tune_seeds:
            tuned_started = time.monotonic()
            tuning = evaluation.weights_tune(
                seeds=tune_seeds,
                sizes=sizes,
                holdout=holdout,
                people=people,
                step=options["step"],
                least=options["least"],
                log=log,
            )
            tuned_seconds = time.monotonic() - tuned_started
            blends = tuning.blends()
        else:
            blends = {name: dict(w) for name, w in settings.RECOMMENDATIONS_WEIGHTS.items()}
        reports = [
            evaluation.evaluate_seeds(
                seeds=seeds,
                sizes=sizes,
                holdout=holdout,
                people=people,
                blends=blends,
                preset=preset,
                log=log,
            )
            for preset in presets
        ]
        if options["json"]:
            self.stdout.write(json.dumps(evaluation.seeds_as_json(reports, tuning), indent=2))
            return
        write = self.stdout.write
        described = ", ".join(f"{count:,} {name}" for name, count in sizes.items())
        write(
            f"Held-out evaluation: seed_demo seeds {options['seeds']} ({len(seeds)} datasets of "
            f"{described}; up to {people} people per type and seed), the latest "
            f"{holdout:.0%} of each person's saves and accepted applications held out. "
            f"k = {evaluation.K}."
        )
        if tuning is None:
            write("Hybrid weights: the configured RECOMMENDATIONS_WEIGHTS (no tuning).")
        else:
            write(
                f"Hybrid weights chosen on tuning seeds {options['tune_seeds']} (default preset, "
                f"{len(tuning.grid)} blends, step {options['step']}, each signal at least "
                f"{options['least']}; {tuned_seconds:.0f} s), "
                "never on a reported seed: of the blends within one standard error of the best "
                "mean NDCG@10, the widest coverage. Leave-one-seed-out NDCG@10 of choosing so:"
            )
            for task in TASKS:
                weights = tuning.chosen[task]
                folds = tuning.cross_validated[task]
                spread = statistics.stdev(folds) if len(folds) > 1 else 0.0
                write(
                    f"  {task.label:<26} content {weights['content']:.2f}, behaviour "
                    f"{weights['behaviour']:.2f}, popularity {weights['popularity']:.2f}   "
                    f"CV NDCG@10 {statistics.fmean(folds):.4f} ± {spread:.4f}"
                )
        for report in reports:
            self._write_report(report)
        write(
            f"({time.monotonic() - started:.0f} s in all; per reported seed "
            + ", ".join(
                f"{statistics.fmean(report.seconds):.1f} s ({report.preset})" for report in reports
            )
            + "; nothing was kept)"
        )

    def _write_report(self, report: evaluation.SeedsReport) -> None:
        write = self.stdout.write
        write("")
        write(
            f"== {report.preset}: mean ± sd over {len(report.seeds)} seeds "
            f"({statistics.fmean(report.held_out):.0f} interactions held out per seed)"
        )
        header = f"{'type':<26}{'algorithm':<11}{'people':>7}{'P@10':>16}{'R@10':>16}"
        write(header + f"{'NDCG@10':>16}{'coverage':>16}")
        for task in TASKS:
            for algorithm in evaluation.EVALUATED:
                found = report.summary(task, algorithm)
                cells = "".join(
                    f"{found[metric][0]:>9.4f} ±{found[metric][1]:.3f}"
                    for metric in ("precision", "recall", "ndcg", "coverage")
                )
                write(f"{task.label:<26}{algorithm:<11}{found['people'][0]:>7.0f}{cells}")
        write("")
        write(
            "hybrid NDCG@10 / popularity's (pooled over seeds; 95 % bootstrap interval, "
            "resampling seeds, then people within them):"
        )
        for task in TASKS:
            interval = report.ratio(task)
            write(
                f"  {task.label:<26}{interval.estimate:>6.2f}x  "
                f"[{interval.low:.2f}, {interval.high:.2f}]"
            )
