"""gunicorn settings read from the working directory (the image's /app, or a checkout).

Prometheus multiprocess mode: every worker writes its series to PROMETHEUS_MULTIPROC_DIR, and
/metrics/ adds them up. A worker that exits is marked dead so its live gauges stop counting.

No ``Server`` header: gunicorn writes ``Server: gunicorn`` on every HTTP/1 response and has no
setting to turn it off, so the response's default headers are filtered here (this file runs
in the arbiter before the workers fork; tests/platform/test_security_headers.py reads the
headers of a real server).
"""

import os
import shutil
from typing import Any

from gunicorn.http import wsgi
from prometheus_client import multiprocess

_default_headers = wsgi.Response.default_headers


def _default_headers_without_server(self: wsgi.Response) -> list[str]:
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


wsgi.Response.default_headers = _default_headers_without_server  # type: ignore[method-assign]

_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def on_starting(server: Any) -> None:
    if _metrics_dir:  # series of a previous run must not be added to this one
        shutil.rmtree(_metrics_dir, ignore_errors=True)
        os.makedirs(_metrics_dir, exist_ok=True)


def post_worker_init(worker: Any) -> None:
    """Each of the worker's threads may hold a database connection: db_connections{state="max"}."""
    from observability.connections import db_connection_threads_set

    db_connection_threads_set(worker.cfg.threads)


def child_exit(server: Any, worker: Any) -> None:
    if _metrics_dir:
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
