"""Overhead of the observability middleware (request ID, JSON access line, metrics).

Serves a cheap endpoint (``/live/``: no I/O) in-process through Django's full handler, with and
without ``RequestIDMiddleware``, in one run, alternating the order, and prints requests/s and
the ratio. The access line goes to a real JSON handler writing to /dev/null.

    .venv/bin/python bench/middleware.py [--requests 20000] [--rounds 3]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collabhub.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)
os.environ.setdefault("SQLITE_PATH", str(Path(__file__).resolve().parent / ".bench.sqlite3"))

MIDDLEWARE = "observability.middleware.RequestIDMiddleware"


def measure(requests: int, with_middleware: bool) -> float:
    from django.conf import settings
    from django.test import Client, override_settings

    middleware = [m for m in settings.MIDDLEWARE if with_middleware or m != MIDDLEWARE]
    with override_settings(MIDDLEWARE=middleware):
        client = Client()
        for _ in range(200):  # warm-up
            client.get("/live/")
        started = time.perf_counter()
        for _ in range(requests):
            client.get("/live/")
        return requests / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import logging

    import django

    django.setup()
    console = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    console.setStream(open(os.devnull, "w"))  # noqa: SIM115 (lives as long as the process)

    results: dict[bool, list[float]] = {True: [], False: []}
    for round_ in range(args.rounds):
        for with_middleware in (True, False) if round_ % 2 == 0 else (False, True):
            results[with_middleware].append(measure(args.requests, with_middleware))

    without = statistics.median(results[False])
    with_ = statistics.median(results[True])
    print(f"GET /live/ in-process, {args.requests} requests x {args.rounds} rounds (median)")
    print(f"{'without observability middleware (baseline)':<46}{without:>10.0f} req/s  1.00x")
    print(f"{'with observability middleware':<46}{with_:>10.0f} req/s  {with_ / without:.2f}x")
    per_request_us = (1 / with_ - 1 / without) * 1e6
    print(f"added per request: {per_request_us:.0f} us")


if __name__ == "__main__":
    main()
