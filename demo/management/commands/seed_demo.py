"""``manage.py seed_demo``: the demo data of ``make run`` (``demo.seed``).

How generated people choose what they save and apply to is a ``demo.seed.Behaviour``: a named
``--preset`` ("default", or "strong-skew": most engagement on a few hit items and big tastes,
where recommending what is popular is hard to beat), each of whose parameters an option may
override:

- ``--tastes`` (8) hidden tastes, each a pool of ``--taste-pool`` (12) startups and as many
  opportunities that its people save and apply within (the behaviour signal);
- ``--save-from-taste`` (0.4) and ``--save-from-profile`` (0.4): shares of saves from the
  taste's pool and from the saver's interests or job family (the content signal); the rest is
  noise, any item;
- ``--apply-from-taste`` (0.25): share of applications to the taste's roles (of the rest, 70 %
  go to the applicant's job family);
- ``--skew`` (0): popularity skew, the Zipf exponent of the noise's items and of taste sizes
  (0: uniform; "strong-skew" is 1.1 with half the saves noise).
"""

import dataclasses
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Role
from demo.seed import (
    ADMIN_PATH,
    FIXED_ACCOUNTS,
    PRESETS,
    Sizes,
    demo_email,
    demo_seed,
)

BEHAVIOUR_OPTIONS = (  # (option, type, what it sets): see the module docstring
    ("tastes", int, "hidden tastes"),
    ("taste_pool", int, "startups and as many opportunities per taste"),
    ("save_from_taste", float, "share of saves from the taste's pool"),
    ("save_from_profile", float, "share of saves from interests or job family"),
    ("apply_from_taste", float, "share of applications to the taste's roles"),
    ("skew", float, "popularity skew: Zipf exponent of the noise's items and taste sizes"),
)


class Command(BaseCommand):
    help = (
        "Load realistic demo data (users of every role, startups, opportunities, applications, "
        "saves) and make sure the demo accounts exist. Deterministic per --seed and idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=42, help="Random seed: same seed, same data (42)."
        )
        for name, default in (
            ("users", 30),
            ("startups", 12),
            ("opportunities", 30),
            ("applications", 40),
            ("saves", 40),
        ):
            parser.add_argument(
                f"--{name}", type=int, default=default, help=f"How many {name} ({default})."
            )
        parser.add_argument(
            "--batch-size", type=int, default=2000, help="Rows per bulk insert (2000)."
        )
        parser.add_argument(
            "--preset",
            choices=sorted(PRESETS),
            default="default",
            help="How people choose what they save and apply to (default); strong-skew: "
            "popularity is hard to beat.",
        )
        for name, kind, text in BEHAVIOUR_OPTIONS:
            default = getattr(PRESETS["default"], name)
            parser.add_argument(
                f"--{name.replace('_', '-')}",
                type=kind,
                default=None,
                help=f"{text.capitalize()} (the preset's; default {default}).",
            )
        parser.add_argument(
            "--no-activity",
            action="store_true",
            help="Only the bulk-loaded rows: no follows, connections or messages made through "
            "the services (the recommendations' evaluation and benchmarks).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        seed: int = options["seed"]
        sizes = Sizes(
            users=options["users"],
            startups=options["startups"],
            opportunities=options["opportunities"],
            applications=options["applications"],
            saves=options["saves"],
        )
        if options["preset"] not in PRESETS:
            raise CommandError(f"Unknown --preset {options['preset']!r}: one of {sorted(PRESETS)}.")
        behaviour = dataclasses.replace(
            PRESETS[options["preset"]],
            **{
                name: options[name]
                for name, _, _ in BEHAVIOUR_OPTIONS
                if options.get(name) is not None
            },
        )
        log = self.stdout.write if options["verbosity"] >= 2 else _quiet
        started = time.monotonic()
        report = demo_seed(
            seed=seed,
            sizes=sizes,
            batch_size=options["batch_size"],
            activity=not options["no_activity"],
            behaviour=behaviour,
            log=log,
        )
        self._report(
            seed, report.present, report.created, report.new_accounts, time.monotonic() - started
        )

    def _report(
        self,
        seed: int,
        present: bool,
        created: dict[str, int],
        new_accounts: list[str],
        seconds: float,
    ) -> None:
        write = self.stdout.write
        if present:
            write(
                f"Demo data for seed {seed} is already present: nothing generated. "
                f"(Use another --seed, or delete the users @{settings.DEMO_EMAIL_DOMAIN} to "
                "regenerate.)"
            )
        else:
            write(self.style.SUCCESS(f"Seeded demo data (seed {seed}) in {seconds:.1f}s:"))
            names = ("users", "startups", "opportunities", "applications", "saves", "events")
            for name in (*names, "skills"):
                write(f"  {name:<14}{created.get(name, 0):>9,}")
        write(f"  {'demo accounts':<14}{len(new_accounts):>9,} created")
        write("")
        write(self.style.SUCCESS("Demo accounts"))
        write(f"  password:  {settings.DEMO_PASSWORD}")
        for spec in FIXED_ACCOUNTS:
            note = "  (staff, superuser)" if spec.admin else ""
            if spec.email not in new_accounts:
                note += "  (already existed: password left unchanged)"
            write(f"  {spec.key + ':':<10} {spec.email}{note}")
        write(f"  admin site: {ADMIN_PATH}")
        write(f"Generated users (such as {demo_email(Role.TALENT, 1, seed)}) share the password.")


def _quiet(message: str) -> None:
    """Progress lines are shown only with --verbosity 2."""
