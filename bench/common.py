"""What the benchmark scripts share: the machine line, percentiles, the server environment."""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable


def machine_line() -> str:
    return (
        f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d %H:%M')}"
    )


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p99 of 20 values is the largest)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def production_env(**overrides: str) -> dict[str, str]:
    """This environment as a production process sees it (DEBUG off, quiet logs), without
    the services of the shell: each benchmark says which ones it uses."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DEBUG="0", SECRET_KEY="bench-" + "x" * 50, LOG_LEVEL="WARNING",
               METRICS_TOKEN="bench-" + "m" * 32, SECURE_SSL_REDIRECT="0")  # fmt: skip
    env.update(overrides)
    return env


def arguments_or_child(
    parser: argparse.ArgumentParser, child: Callable[[argparse.Namespace], None]
) -> argparse.Namespace | None:
    """Each benchmark runs itself again as ``--child`` to measure (in the environment its
    first half prepared): that half runs ``child`` here and gets None; the first half gets
    its arguments."""
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return None
    return args
