"""Celery: the request ID travels with every task, and every task run is counted.

``before_task_publish`` puts the current ID in the message headers; the worker sets it in the
context variable for the task's run, so every log line of the task carries it. Each run adds to
``collabhub_celery_tasks_total`` by task name and outcome (success, failure, retry …) and to
the duration histogram, and refreshes ``db_connections``. A worker started with
``CELERY_METRICS_PORT`` serves those series on that port (with ``PROMETHEUS_MULTIPROC_DIR``,
all its pool processes added up; a pool process that exits is marked dead, so its live gauges
stop counting).
"""

import logging
import os
import time
from pathlib import Path
from typing import Any

from celery.signals import (
    before_task_publish,
    setup_logging,
    task_postrun,
    task_prerun,
    worker_init,
    worker_process_shutdown,
    worker_ready,
)
from django.conf import settings
from prometheus_client import multiprocess, start_http_server

from observability import metrics
from observability.connections import db_connection_threads_set, db_connections_refresh
from observability.context import request_id_get, request_id_var

HEADER = "request_id"
logger = logging.getLogger("collabhub.metrics")
_runs: dict[str, tuple[Any, float]] = {}


@setup_logging.connect
def _keep_django_logging(**kwargs: Any) -> None:
    """Workers log as the web does: Django's ``LOGGING`` (JSON lines with the request ID),
    already applied by ``django.setup()``. With a receiver here Celery installs none of its own
    handlers and leaves the root logger's level alone."""


@before_task_publish.connect
def _add_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    request_id = request_id_get()
    if headers is not None and request_id and not headers.get(HEADER):
        headers[HEADER] = request_id


@task_prerun.connect
def _task_started(task_id: str, task: Any, **kwargs: Any) -> None:
    request_id = getattr(task.request, HEADER, None) or (task.request.headers or {}).get(HEADER)
    token = request_id_var.set(request_id) if request_id else None
    _runs[task_id] = (token, time.perf_counter())


@task_postrun.connect
def _task_finished(task_id: str, task: Any, state: str | None = None, **kwargs: Any) -> None:
    token, started = _runs.pop(task_id, (None, None))
    if started is not None:
        metrics.CELERY_TASK_DURATION.labels(task=task.name).observe(time.perf_counter() - started)
    metrics.CELERY_TASKS.labels(task=task.name, outcome=(state or "unknown").lower()).inc()
    db_connections_refresh()
    if token is not None:
        request_id_var.reset(token)


# Pools whose tasks run in threads (or greenlets) of one process, each able to hold a
# database connection; prefork and solo run one task at a time per process.
THREADED_POOLS = (
    "celery.concurrency.thread",
    "celery.concurrency.gevent",
    "celery.concurrency.eventlet",
)


@worker_ready.connect
def _db_capacity(sender: Any = None, **kwargs: Any) -> None:
    controller = getattr(sender, "controller", None)
    pool = getattr(controller, "pool_cls", None)
    if getattr(pool, "__module__", "") in THREADED_POOLS:
        db_connection_threads_set(int(controller.concurrency))  # type: ignore[union-attr]


@worker_init.connect
def _metrics_files_cleared(**kwargs: Any) -> None:
    """The series files of this worker's previous run (a restarted container keeps /tmp) must
    not add to this one's; the directory is the worker's own (compose, k8s)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        for path in Path(directory).glob("*.db"):
            path.unlink(missing_ok=True)


@worker_process_shutdown.connect
def _pool_process_exited(pid: int | None = None, **kwargs: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR") and pid:
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


@worker_ready.connect
def metrics_serve(**kwargs: Any) -> Any:
    """Serve this worker's series for Prometheus when ``CELERY_METRICS_PORT`` is set; the
    server is returned (to be shut down by whoever started it outside a worker)."""
    port = settings.CELERY_METRICS_PORT
    if not port:
        return None
    server, _ = start_http_server(port, registry=metrics.registry(business=False))
    logger.info("celery metrics served", extra={"port": port})
    return server
