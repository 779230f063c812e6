import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from recommendations import evaluation
from recommendations.engine import ALGORITHMS

SIZES = {
    "users": 3000,
    "startups": 600,
    "opportunities": 1200,
    "applications": 6000,
    "saves": 15000,
}


class Command(BaseCommand):
    help = (
        "Offline evaluation of the recommenders (hybrid, content, popularity, random) on a "
        "deterministic seed_demo dataset with planted tastes: hold out each person's most recent "
        "saves and accepted applications, report precision@10, recall@10, NDCG@10 and coverage. "
        "Everything it writes is rolled back (unless --keep)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=7, help="seed_demo's seed (7).")
        for name, default in SIZES.items():
            parser.add_argument(f"--{name}", type=int, default=default, help=f"({default:,})")
        parser.add_argument(
            "--holdout", type=float, default=0.2, help="Share of positives held out (0.2)."
        )
        parser.add_argument(
            "--people", type=int, default=200, help="People evaluated per type (200)."
        )
        parser.add_argument("--json", action="store_true", help="Print the rows as JSON.")
        parser.add_argument("--keep", action="store_true", help="Commit the dataset.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        log = self.stderr.write if options["verbosity"] >= 2 else (lambda message: None)
        report = evaluation.evaluate(
            seed=options["seed"],
            sizes={name: options[name] for name in SIZES},
            holdout=options["holdout"],
            people=options["people"],
            keep=options["keep"],
            log=log,
        )
        rows = evaluation.as_rows(report)
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        write = self.stdout.write
        sizes = ", ".join(f"{count:,} {name}" for name, count in report.sizes.items())
        write(f"Offline evaluation on seed_demo --seed {report.seed} ({sizes})")
        write(
            f"Held out the most recent {report.holdout:.0%} of each person's saves and accepted "
            f"applications: {report.held_out:,} interactions. k = {evaluation.K}."
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
        if "hybrid" in ALGORITHMS and "popularity" in ALGORITHMS:
            for task in evaluation.TASKS:
                hybrid, popular = report.ndcg(task, "hybrid"), report.ndcg(task, "popularity")
                ratio = f"{hybrid / popular:.2f}x" if popular else "n/a (popularity 0)"
                write(f"hybrid NDCG@10 / popularity's, {task.label}: {ratio}")
        write(
            f"({time.monotonic() - started:.0f} s; nothing was kept)" if not options["keep"] else ""
        )
