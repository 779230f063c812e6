"""A task published during a request runs, in a real Celery worker, with that request's ID."""

import logging
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from collabhub.celery import app
from observability.context import request_id_get, request_id_var
from tests.conftest import Lines

task_logger = logging.getLogger("collabhub.tasks.test")


@app.task(name="tests.echo_request_id")
def echo_request_id() -> str | None:
    task_logger.info("task ran")
    return request_id_get()


@pytest.fixture
def worker() -> Iterator[None]:
    # Redis: this xdist worker's own database (as for the cache), so workers never share queues.
    broker = settings.CACHES["default"]["LOCATION"] if settings.REDIS_AVAILABLE else "memory://"
    previous = dict(app.conf)
    app.conf.update(
        task_always_eager=False,
        broker_url=broker,
        result_backend="cache+memory://",
        task_acks_late=False,
    )
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.update(
            {k: previous[k] for k in ("task_always_eager", "broker_url", "result_backend")}
        )
        app.conf.update(task_acks_late=previous["task_acks_late"])


def test_task_carries_the_publishing_request_id(worker: None, log_lines: Lines) -> None:
    token = request_id_var.set("req-from-http-7")
    try:
        result = echo_request_id.delay()
    finally:
        request_id_var.reset(token)

    assert result.get(timeout=20) == "req-from-http-7"
    [line] = [line for line in log_lines() if line["message"] == "task ran"]
    assert line["request_id"] == "req-from-http-7"
    assert line["logger"] == "collabhub.tasks.test"
