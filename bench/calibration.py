"""A fixed calibration workload, timed in the same run as what a benchmark measures.

This machine is shared (2 vCPUs) and its speed moves from hour to hour, so a goal stated "at
the reference speed" of an earlier run is judged by scaling it with how fast this fixed work
runs now against how fast it ran then:

* **python**: a fixed pure-Python job (dict updates, a sort, string formatting; about 25 ms on
  the reference machine), the kind of work a request does between queries;
* **sql**: a fixed SQL job on the benchmark's own connection that reads no table -- 50 round
  trips of a one-row ``SELECT`` and one recursive CTE counting to 50,000 -- so it costs the
  same whatever the data.

Each is run ``REPEAT`` times and its median kept. ``scale`` is the mean of the two ratios now /
reference: above 1, the machine is slower than it was, and a goal in milliseconds is multiplied
by it.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

REPEAT = 7
ROUND_TRIPS = 50
CTE_ROWS = 50_000
# The workloads' medians at the reference speed (the 2026-11-24 runs), per database vendor.
# Not measured then: estimated from the first run with this workload (2026-12-01 05:14 UTC,
# PostgreSQL: python 20.45 ms, sql 14.6 ms, each the mean of its before and after figures),
# when the one case whose code and plans had not changed since 2026-11-24 (investors ->
# startups) ran 6 % slower than it did then (p95 26.9 vs 25.3 ms): both divided by 1.06.
# docs/benchmarks.md (recommendations) says more. No reference for SQLite: not scaled.
REFERENCE_MS: dict[str, dict[str, float]] = {
    "postgresql": {"python": 19.3, "sql": 13.8},
}


def python_workload() -> int:
    counts: dict[int, float] = {}
    for i in range(180_000):
        key = (i * 7919) % 1009
        counts[key] = counts.get(key, 0.0) + i * 0.5
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    text = ", ".join(f"{key}:{value:.1f}" for key, value in ordered)
    return len(text) + sum(len(str(i)) for i in range(60_000))


def sql_workload(connection: Any) -> int:
    total = 0
    with connection.cursor() as cursor:
        for i in range(ROUND_TRIPS):
            cursor.execute("SELECT %s", [i])
            total += cursor.fetchone()[0]
        cursor.execute(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %s) "
            "SELECT count(*) FROM c",
            [CTE_ROWS],
        )
        total += cursor.fetchone()[0]
    return total


def _median_ms(job: Any, *args: Any) -> float:
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        job(*args)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def calibrate(connection: Any) -> dict[str, float]:
    """Both workloads' medians now, in ms."""
    sql_workload(connection)  # the connection opened and warm
    return {"python": _median_ms(python_workload), "sql": _median_ms(sql_workload, connection)}


def scale(vendor: str, measured: list[dict[str, float]]) -> dict[str, Any]:
    """The calibration of this run (the mean of the measurements, e.g. one before and one
    after the timed part) against the reference: {"python", "sql" (ms now), "reference" (ms
    then), "scale" (None when no reference is recorded yet)}."""
    now = {name: statistics.mean(m[name] for m in measured) for name in ("python", "sql")}
    reference = REFERENCE_MS.get(vendor, {})
    known = all(reference.get(name) for name in now)
    factor = statistics.mean(now[name] / reference[name] for name in now) if known else None
    return {**now, "runs": measured, "reference": reference, "scale": factor}
