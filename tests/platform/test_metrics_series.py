"""The series of issue 17 at /metrics/: recommendations, caches by name, feed pages, the
gauges computed at scrape time, database connections and the Celery queues' backlog."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection, connections
from django.test import Client
from django.utils import timezone
from kombu import Connection, Queue
from prometheus_client.parser import text_string_to_metric_families

from collabhub.celery import app
from observability import metrics
from observability.breaker import breaker, breakers_reset
from observability.queues import QUEUES_BREAKER
from recommendations.models import Interaction
from startups.models import Opportunity, OpportunityStatus, Startup
from tests.accounts.factories import UserFactory
from tests.platform.test_metrics import scrape
from tests.recommendations.factories import InteractionFactory
from tests.startups.factories import OpportunityFactory, StartupFactory
from tests.support import (
    METRICS_TOKEN,
    PRODUCTION_ON_LOOPBACK,
    ROOT,
    free_port,
    process_env,
    wait_until_up,
)

pytestmark = pytest.mark.django_db


def delta(before: dict, after: dict, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


# --- Recommendations, caches, feed ------------------------------------------------------


def test_a_recommendations_miss_is_generated_and_counted_then_a_hit(client: Client, client_for):
    StartupFactory.create_batch(3)
    talent = UserFactory()
    api = client_for(talent)
    before = scrape(client)

    first = api.get("/api/v1/recommendations/", {"type": "startups"})
    middle = scrape(client)
    second = api.get("/api/v1/recommendations/", {"type": "startups"})
    after = scrape(client)

    assert first.status_code == second.status_code == 200
    algorithm = first.json()["algorithm"]  # what ran (trending: a new person, no history)
    generated = "recommendations_generated_total"
    assert delta(before, middle, generated, type="startups", algorithm=algorithm) == 1
    assert delta(middle, after, generated, type="startups", algorithm=algorithm) == 0
    duration = "recommendation_generation_duration_seconds_count"
    assert delta(before, middle, duration, type="startups") == 1
    assert delta(middle, after, duration, type="startups") == 0
    assert middle[("recommendation_generation_duration_seconds_sum", (("type", "startups"),))] > 0
    assert delta(before, middle, "cache_misses_total", cache="recommendations") == 1
    assert delta(before, middle, "cache_hits_total", cache="recommendations") == 0
    assert delta(middle, after, "cache_hits_total", cache="recommendations") == 1
    assert delta(middle, after, "cache_misses_total", cache="recommendations") == 0


def test_the_experiments_algorithm_is_the_label(client: Client, client_for, settings):
    """The algorithm chosen by the hook (an A/B experiment) labels the run."""
    settings.RECOMMENDATIONS_ALGORITHM_HOOK = "tests.platform.test_metrics_series.choose_random"
    StartupFactory.create_batch(2)
    before = scrape(client)

    response = client_for(UserFactory()).get("/api/v1/recommendations/", {"type": "startups"})

    assert response.json()["algorithm"] == "random"
    after = scrape(client)
    name = "recommendations_generated_total"
    assert delta(before, after, name, type="startups", algorithm="random") == 1


def choose_random(*, user: object, type: str) -> str:
    return "random"


def test_cache_reads_are_counted_by_cache_name(client: Client) -> None:
    cache.set("search:metrics-test-present", [1])
    cache.set("recs:result:metrics-test", {"x": 0})
    cache.set("metrics-test-other", 0)  # no registered prefix: the default cache
    before = scrape(client)

    assert cache.get("search:metrics-test-present") == [1]
    assert cache.get("search:metrics-test-absent") is None
    assert cache.get("recs:features:trending:talent:startup") is None
    assert cache.get("metrics-test-other", "default") == 0  # a falsy value is still a hit
    found = cache.get_many(["recs:result:metrics-test", "recs:result:absent", "metrics-absent"])
    assert found == {"recs:result:metrics-test": {"x": 0}}
    after = scrape(client)

    # Scrapes read no cache; requests (the throttles' counters) do not read through get().
    assert delta(before, after, "cache_hits_total", cache="search") == 1
    assert delta(before, after, "cache_misses_total", cache="search") == 1
    assert delta(before, after, "cache_misses_total", cache="trending") == 1
    assert delta(before, after, "cache_hits_total", cache="recommendations") == 1
    assert delta(before, after, "cache_misses_total", cache="recommendations") == 1
    assert delta(before, after, "cache_hits_total", cache="default") >= 1
    assert delta(before, after, "cache_misses_total", cache="default") >= 1
    names = {dict(labels).get("cache") for name, labels in after if name.startswith("cache_")}
    assert names <= {
        "default", "recommendations", "recommendations_meta", "trending", "search",
        "search_meta", "realtime",
    }  # fmt: skip
    assert not any(name.startswith("collabhub_cache_requests") for name, _ in after)


def test_a_feed_page_is_timed(client: Client, client_for) -> None:
    name = "feed_generation_duration_seconds_count"
    before = scrape(client)

    response = client_for(UserFactory()).get("/api/v1/feed/")

    assert response.status_code == 200
    after = scrape(client)
    assert delta(before, after, name) == 1
    assert after[("feed_generation_duration_seconds_sum", ())] > 0


# --- Gauges computed at scrape time ------------------------------------------------------


def test_gauges_equal_the_databases_counts(client: Client) -> None:
    UserFactory(last_login=timezone.now() - timedelta(hours=1))
    UserFactory(last_login=timezone.now() - timedelta(hours=30))  # not in the last 24 h
    UserFactory(last_login=timezone.now(), is_active=False)
    StartupFactory.create_batch(2)
    OpportunityFactory.create_batch(3)
    OpportunityFactory(status=OpportunityStatus.CLOSED)
    InteractionFactory.create_batch(4)

    samples = scrape(client)
    json = client.get("/metrics/", HTTP_AUTHORIZATION=f"Bearer {django_settings.METRICS_TOKEN}")

    open_roles = Opportunity.objects.filter(status=OpportunityStatus.OPEN).count()
    assert samples[("active_users", ())] == 1
    # 2 startups, plus 4 more bringing the opportunities and 4 the interactions.
    assert samples[("active_items", ())] == Startup.objects.count() + open_roles == 10 + 3
    assert samples[("total_interactions", ())] == Interaction.objects.count() == 4
    for gone in ("collabhub_active_users", "collabhub_active_users_24h"):
        assert (gone, ()) not in samples  # one way: the unprefixed name only
    assert ("collabhub_startups", ()) in samples  # the others keep their prefix
    body = json.json()
    assert (body["active_users"], body["active_items"], body["total_interactions"]) == (1, 13, 4)
    assert "active_users_24h" not in body


def test_a_failing_gauge_is_left_out_and_the_scrape_served(client: Client, monkeypatch) -> None:
    def broken() -> int:
        raise RuntimeError("database gone")

    monkeypatch.setitem(metrics._business, "broken_figure", (broken, "Fails.", "broken_figure"))

    samples = scrape(client)

    assert ("broken_figure", ()) not in samples
    assert ("active_users", ()) in samples


# --- Database connections ----------------------------------------------------------------


def test_db_connections_count_every_threads_open_connection(client: Client) -> None:
    opened, release, closed = threading.Event(), threading.Event(), threading.Event()

    def hold_a_connection() -> None:
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT 1")
            opened.set()
            release.wait(10)
        finally:
            connections["default"].close()
            closed.set()

    connection.ensure_connection()
    alone = scrape(client)
    thread = threading.Thread(target=hold_a_connection)
    thread.start()
    try:
        assert opened.wait(10)
        together = scrape(client)
    finally:
        release.set()
        thread.join(10)
    assert closed.is_set()
    after = scrape(client)

    in_use = ("db_connections", (("state", "in_use"),))
    most = ("db_connections", (("state", "max"),))
    assert alone[in_use] >= 1  # this test's own connection
    assert together[in_use] == alone[in_use] + 1
    # Closed again -- except an in-memory SQLite database's (the test database without
    # services), which Django never closes: it would be gone.
    kept_open = connection.vendor == "sqlite" and connection.is_in_memory_db()
    assert after[in_use] == alone[in_use] + (1 if kept_open else 0)
    assert alone[most] == len(django_settings.DATABASES)  # one thread here, one per alias


# --- Celery queues, read from the broker -------------------------------------------------


def test_no_queue_length_under_eager_celery(client: Client) -> None:
    assert django_settings.CELERY_TASK_ALWAYS_EAGER
    assert not any(name == "celery_queue_length" for name, _ in scrape(client))


@pytest.fixture
def broker_breaker_reset() -> Iterator[None]:
    breakers_reset()
    yield
    breakers_reset()


@pytest.mark.skipif(
    not django_settings.REDIS_AVAILABLE, reason="needs Redis: runs in the service-backed run"
)
def test_queue_length_is_read_from_redis(client: Client, settings, broker_breaker_reset) -> None:
    """Tasks published while no worker consumes, some at high priority (kombu keeps those in
    sub-lists): the gauge is the number published, per configured queue."""
    broker = settings.CACHES["default"]["LOCATION"]  # this xdist worker's own (emptied) db
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = broker
    raw = redis.Redis.from_url(broker)
    with Connection(broker) as conn:
        for _ in range(3):
            app.send_task("tests.never_consumed", connection=conn)  # the default queue
        for _ in range(2):
            app.send_task("tests.never_consumed", priority=9, connection=conn)
    assert raw.llen("celery") == 3  # the other two are in the priority sub-list

    samples = scrape(client)

    assert samples[("celery_queue_length", (("queue", "celery"),))] == 5

    # A queue of CELERY_TASK_QUEUES is measured too (published with kombu directly: the
    # Celery app keeps the queues it first read, and a later test's worker must not get ours).
    extra = f"metrics-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_QUEUES = [Queue("celery"), Queue(extra)]
    with Connection(broker) as conn:
        producer = conn.Producer()
        for _ in range(4):
            producer.publish({"n": 1}, routing_key=extra, declare=[Queue(extra)])

    samples = scrape(client)

    assert samples[("celery_queue_length", (("queue", extra),))] == 4
    assert samples[("celery_queue_length", (("queue", "celery"),))] == 5
    raw.delete("celery", "celery\x06\x169")
    assert scrape(client)[("celery_queue_length", (("queue", "celery"),))] == 0


def _scrape_timed(client: Client) -> tuple[dict, float]:
    started = time.monotonic()
    samples = scrape(client)
    return samples, time.monotonic() - started


def test_a_broker_that_is_down_leaves_the_series_out(
    client: Client, settings, broker_breaker_reset
) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens

    samples, seconds = _scrape_timed(client)

    assert seconds < 2
    assert not any(name == "celery_queue_length" for name, _ in samples)
    assert any(name == "collabhub_http_requests_total" for name, _ in samples)
    assert ("active_users", ()) in samples
    assert breaker(QUEUES_BREAKER).is_open
    assert not breaker("broker").is_open  # the publishers still try it


def test_a_frozen_broker_costs_one_short_timeout_then_none(
    client: Client, settings, broker_breaker_reset
) -> None:
    """A broker that accepts connections and never answers (a listening socket nobody
    reads): the first scrape waits one read timeout, the next ones skip it (breaker open)."""
    with socket.socket() as frozen:
        frozen.bind(("127.0.0.1", 0))
        frozen.listen(16)
        settings.CELERY_TASK_ALWAYS_EAGER = False
        settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{frozen.getsockname()[1]}/0"

        first, first_seconds = _scrape_timed(client)
        second, second_seconds = _scrape_timed(client)

    assert first_seconds < 2
    assert second_seconds < 0.5
    for samples in (first, second):
        assert not any(name == "celery_queue_length" for name, _ in samples)
        assert ("active_users", ()) in samples


# --- Multiprocess mode -------------------------------------------------------------------


def test_db_connections_in_multiprocess_mode(tmp_path: Path) -> None:
    """Two gthread workers of three threads each (PROMETHEUS_MULTIPROC_DIR): the pod may
    open 2 x 3 connections; the gauge is summed over live workers, with no pid label."""
    port = free_port()
    env = process_env(
        **PRODUCTION_ON_LOOPBACK,
        SECRET_KEY="metrics-test-" + "x" * 40,
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"),
    )
    migrate = [sys.executable, "manage.py", "migrate", "--no-input"]
    subprocess.run(migrate, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "collabhub.wsgi:application", "--workers", "2",
         "--threads", "3", "--bind", f"127.0.0.1:{port}", "--no-control-socket"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/live/")
        headers = {"Accept": "text/plain", "Authorization": f"Bearer {METRICS_TOKEN}"}
        deadline = time.monotonic() + 30
        while True:  # until both workers have started (each sets its capacity once loaded)
            request = urllib.request.Request(f"{base}/metrics/", headers=headers)
            with urllib.request.urlopen(request, timeout=5) as response:
                text = response.read().decode()
            samples = [
                sample
                for family in text_string_to_metric_families(text)
                for sample in family.samples
                if sample.name == "db_connections"
            ]
            most = [s.value for s in samples if s.labels == {"state": "max"}]
            if most == [6] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)

    assert most == [6.0]
    assert {tuple(sorted(s.labels)) for s in samples} == {("state",)}
    in_use = [s.value for s in samples if s.labels == {"state": "in_use"}]
    assert len(in_use) == 1 and 0 <= in_use[0] <= 6
