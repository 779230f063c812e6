"""Tasks in a real Celery worker: they run with the publishing request's ID, and each run is
counted by name and outcome, served by the worker's own metrics endpoint."""

import logging
import time
import urllib.request
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import OperationalError
from prometheus_client.parser import text_string_to_metric_families

from collabhub.celery import app
from observability import metrics
from observability.context import request_id_get, request_id_var
from observability.tasks import metrics_serve
from tests.conftest import Lines
from tests.support import celery_pools_reset, free_port

task_logger = logging.getLogger("collabhub.tasks.test")


@app.task(name="tests.echo_request_id")
def echo_request_id() -> str | None:
    task_logger.info("task ran")
    return request_id_get()


@app.task(name="tests.fail")
def fail() -> None:
    raise ValueError("this task fails")


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
    celery_pools_reset()  # pools made earlier (eager tasks) point at the default broker
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.update(
            {k: previous[k] for k in ("task_always_eager", "broker_url", "result_backend")}
        )
        app.conf.update(task_acks_late=previous["task_acks_late"])
        celery_pools_reset()


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


def tasks_run(task: str, outcome: str) -> float:
    labels = {"task": task, "outcome": outcome}
    return metrics.registry().get_sample_value("collabhub_celery_tasks_total", labels) or 0.0


def _polled(predicate) -> bool:
    """The predicate, or False while the worker's thread holds a table lock: on the embedded
    defaults the test database is SQLite in memory with a shared cache, where a read during
    another connection's write fails at once ("database table is locked": shared-cache locks
    do not wait for the busy timeout). That is the test database's; a file database waits."""
    try:
        return bool(predicate())
    except OperationalError as error:
        if "table is locked" not in str(error):
            raise
        return False


def wait_for(predicate, timeout: float = 10) -> bool:
    # The worker counts a run just after it stores the result, so the count may lag a moment.
    deadline = time.monotonic() + timeout
    while not _polled(predicate):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_task_runs_are_counted_by_name_and_outcome(worker: None) -> None:
    ok_before = tasks_run("tests.echo_request_id", "success")
    failed_before = tasks_run("tests.fail", "failure")

    echo_request_id.delay().get(timeout=20)
    echo_request_id.delay().get(timeout=20)
    with pytest.raises(ValueError):
        fail.delay().get(timeout=20)

    assert wait_for(lambda: tasks_run("tests.echo_request_id", "success") == ok_before + 2)
    assert wait_for(lambda: tasks_run("tests.fail", "failure") == failed_before + 1)
    assert tasks_run("tests.fail", "success") == 0
    duration = metrics.registry().get_sample_value(
        "collabhub_celery_task_duration_seconds_count", {"task": "tests.fail"}
    )
    assert duration and duration >= 1


def test_worker_serves_its_series_on_the_metrics_port(worker: None, settings) -> None:
    settings.CELERY_METRICS_PORT = free_port()
    server = metrics_serve()
    try:
        fail.delay().get(timeout=20, propagate=False)
        assert wait_for(lambda: tasks_run("tests.fail", "failure") >= 1)
        url = f"http://127.0.0.1:{settings.CELERY_METRICS_PORT}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            text = response.read().decode()
    finally:
        server.shutdown()
        server.server_close()

    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert (
        samples[("collabhub_celery_tasks_total", (("outcome", "failure"), ("task", "tests.fail")))]
        >= 1
    )
    assert not any(name == "collabhub_users" for name, _ in samples), "business gauges: web only"


def test_worker_serves_nothing_without_a_metrics_port(settings) -> None:
    settings.CELERY_METRICS_PORT = 0
    assert metrics_serve() is None


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_fans_out_an_event_end_to_end(worker: None) -> None:
    """Committed for real: the on-commit hook publishes to the broker (Redis in the
    service-backed run), the worker runs the fan-out and the follower is notified."""
    from feed import services as feed_services
    from feed.models import ActivityEvent, Notification
    from startups import services as startup_services
    from tests.accounts.factories import UserFactory
    from tests.startups.factories import StartupFactory

    startup, fan = StartupFactory(), UserFactory()
    feed_services.follow_create(follower=fan, target=startup)
    token = request_id_var.set("req-fanout-1")
    try:
        startup_services.opportunity_create(
            startup=startup, by=startup.owner, data={"title": "Engineer", "kind": "full-time"}
        )
    finally:
        request_id_var.reset(token)

    event = ActivityEvent.objects.get(action_type="opportunity_posted")
    assert wait_for(lambda: Notification.objects.filter(event=event, recipient=fan).exists())
    event.refresh_from_db()
    assert event.dispatched_at is not None and event.request_id == "req-fanout-1"


def test_a_worker_starting_clears_its_previous_runs_series_files(tmp_path, monkeypatch) -> None:
    """A restarted worker container keeps /tmp: old multiprocess files would add to the new
    run's series (db_connections in use, tasks counted twice)."""
    from observability.tasks import _metrics_files_cleared

    stale = tmp_path / "gauge_livesum_123.db"
    stale.write_bytes(b"old")
    other = tmp_path / "README"
    other.write_text("not a series file")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))

    _metrics_files_cleared()

    assert not stale.exists()
    assert other.exists()
