"""gunicorn settings read from the working directory (the image's /app, or a checkout).

Prometheus multiprocess mode: every worker writes its series to PROMETHEUS_MULTIPROC_DIR, and
/metrics/ adds them up. A worker that exits is marked dead so its live gauges stop counting.
"""

import os
import shutil
from typing import Any

from prometheus_client import multiprocess

_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def on_starting(server: Any) -> None:
    if _metrics_dir:  # series of a previous run must not be added to this one
        shutil.rmtree(_metrics_dir, ignore_errors=True)
        os.makedirs(_metrics_dir, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    if _metrics_dir:
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
