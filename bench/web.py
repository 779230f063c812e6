"""Web app benchmark: how fast the main pages render on the server at demo scale, and how much
JavaScript and CSS each page makes a browser fetch.

    .venv/bin/python bench/web.py            # or: make bench-web  (about 2 minutes)
    .venv/bin/python bench/web.py --runs 50 --startups 3000 --users 6000  # larger

Collects the static files (as a deployment does) and builds a throwaway SQLite database with
``seed_demo`` (its defaults: what ``make run`` shows)
and ``recommendations_rebuild``, then renders each page ``--runs`` times in one process with
Django's test client (the whole stack: middleware, session, templates; DEBUG off): the home
page signed out and signed in (the feed; its recommendations are a fragment fetched after the
first paint, timed on its own), discover with and without a search, a startup and a role.
Baseline, same run: the ``/live/`` probe (the stack with a view that does nothing). Goals:
p95 <= 50 ms for home, discover and startup pages; <= 150 KB of JS + CSS per page, gzipped.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from common import arguments_or_child, machine_line, percentile, production_env  # noqa: E402

GOAL_MS, GOAL_KB = 50.0, 150.0


def assets_kb(html: str) -> float:
    """The page's scripts and stylesheets (the collected, hashed files), gzipped (level 9),
    in KB."""
    from django.conf import settings

    total = 0
    for path in re.findall(r'(?:src|href)="/static/([^"]+\.(?:js|css))"', html):
        total += len(gzip.compress((Path(settings.STATIC_ROOT) / path).read_bytes(), 9))
    return total / 1024


def child(args: argparse.Namespace) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collabhub.settings")
    django.setup()
    from django.test import Client

    from accounts.models import User
    from startups.models import Opportunity, Startup

    talent = User.objects.get(email="talent@collabhub.dev")
    startup = Startup.objects.order_by("pk").first()
    role = Opportunity.objects.filter(status="open").order_by("pk").first()
    assert startup is not None and role is not None
    anonymous, signed_in = Client(), Client()
    signed_in.force_login(talent)
    cases = {
        "baseline: /live/": (anonymous, "/live/"),
        "home, signed out": (anonymous, "/"),
        "home, signed in (feed)": (signed_in, "/"),
        "recommendations fragment": (signed_in, "/_/recommendations/"),
        "discover": (anonymous, "/discover/"),
        "discover, search": (anonymous, "/discover/?search=health"),
        "startup": (signed_in, f"/startups/{startup.pk}/"),
        "role": (signed_in, f"/opportunities/{role.pk}/"),
    }
    result: dict[str, Any] = {"startups": Startup.objects.count(), "cases": {}}
    for name, (client, path) in cases.items():
        first = client.get(path, HTTP_ACCEPT="text/html")
        assert first.status_code == 200, (path, first.status_code)
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            client.get(path, HTTP_ACCEPT="text/html")
            times.append((time.perf_counter() - started) * 1000)
        html = first.content.decode()
        result["cases"][name] = {"ms": times, "kb": assets_kb(html) if "<html" in html else 0}
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--startups", type=int, help="seed_demo --startups (its default)")
    parser.add_argument("--users", type=int, help="seed_demo --users (its default)")
    args = arguments_or_child(parser, child)
    if args is None:
        return
    from run import run_checked

    print(machine_line())
    with tempfile.TemporaryDirectory(prefix="collabhub-bench-web-") as tmp:
        env = production_env(
            DATABASE_URL=f"sqlite:///{tmp}/web.sqlite3",
            STATIC_ROOT=f"{tmp}/static",  # collected, as a deployment does (DEBUG off)
            DEMO_PASSWORD="bench-" * 4,
        )
        manage = [sys.executable, "manage.py"]
        seed = ["seed_demo"]
        for name in ("startups", "users"):
            if getattr(args, name):
                seed += [f"--{name}", str(getattr(args, name))]
        commands = [["collectstatic", "--no-input"], ["migrate", "--no-input"], seed]
        for command in [*commands, ["recommendations_rebuild"]]:
            run_checked([*manage, *command], env, " ".join(command))
        out = subprocess.run(  # noqa: S603 - our own script
            [sys.executable, __file__, "--child", "--runs", str(args.runs)],
            cwd=ROOT, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
    if out.returncode != 0:
        raise SystemExit(f"web benchmark failed:\n{out.stderr[-4000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    base = statistics.median(result["cases"]["baseline: /live/"]["ms"])
    print(f"SQLite, demo data ({result['startups']} startups), {args.runs} renders each, "
          "one process, DEBUG off")  # fmt: skip
    print(f"  {'page':<26} {'p50 ms':>7} {'p95 ms':>7} {'÷ /live/':>9} {'JS+CSS gz':>10}")
    for name, case in result["cases"].items():
        p50, p95 = statistics.median(case["ms"]), percentile(case["ms"], 95)
        goal = "" if name.startswith(("baseline", "recommendations", "role")) else (
            "  meets" if p95 <= GOAL_MS and case["kb"] <= GOAL_KB else "  MISSES"
        )  # fmt: skip
        print(f"  {name:<26} {p50:>7.1f} {p95:>7.1f} {p50 / base:>8.1f}x {case['kb']:>8.1f} KB"
              f"{goal}")  # fmt: skip


if __name__ == "__main__":
    main()
