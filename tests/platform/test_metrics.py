import os
import signal
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from tests.accounts.factories import UserFactory
from tests.startups.factories import ApplicationFactory
from tests.support import (
    METRICS_TOKEN,
    PRODUCTION_ON_LOOPBACK,
    ROOT,
    free_port,
    process_env,
    wait_until_up,
)

pytestmark = pytest.mark.django_db

PROMETHEUS = {"HTTP_ACCEPT": "text/plain;version=0.0.4;q=1,*/*;q=0.1"}
TOKEN = {"HTTP_AUTHORIZATION": f"Bearer {django_settings.METRICS_TOKEN}"}


def scrape(client: Client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics/", **PROMETHEUS, **TOKEN)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_json_business_metrics_by_default(client: Client) -> None:
    ApplicationFactory.create_batch(2)
    UserFactory(last_login=None)

    response = client.get("/metrics/", **TOKEN)

    assert response.status_code == 200
    body = response.json()
    assert body["startups"] == 2
    assert body["opportunities"] == 2
    assert body["applications"] == 2
    # Each application brings a founder (owner) and an applicant; plus one more user.
    assert body["users"] == 5
    assert body["active_users"] == 0


def test_request_counter_and_latency_move(client: Client) -> None:
    key = (
        "collabhub_http_requests_total",
        (("method", "GET"), ("route", "api/v1/startups/"), ("status", "200")),
    )
    before = scrape(client).get(key, 0.0)

    for _ in range(3):
        client.get("/api/v1/startups/")

    after = scrape(client)
    assert after[key] == before + 3
    count_key = ("collabhub_http_request_duration_seconds_count", (("route", "api/v1/startups/"),))
    assert after[count_key] >= 3
    assert ("collabhub_startups", ()) in after


def test_unmatched_paths_share_one_label(client: Client) -> None:
    client.get("/no/such/thing/1")
    client.get("/no/such/thing/2")

    samples = scrape(client)
    routes = {dict(labels).get("route") for name, labels in samples if "requests_total" in name}
    assert "<unmatched>" in routes
    assert not any(route and route.startswith("/no/") for route in routes)


def test_health_checks_are_exported_as_gauges(client: Client) -> None:
    client.get("/health/")

    samples = scrape(client)
    assert samples[("collabhub_health_check_status", (("check", "database"),))] == 1.0


def test_metrics_token_is_required_when_set(client: Client, settings) -> None:
    settings.METRICS_TOKEN = "scrape-secret"

    assert client.get("/metrics/").status_code == 401
    assert client.get("/metrics/", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    ok = client.get("/metrics/", HTTP_AUTHORIZATION="Bearer scrape-secret", **PROMETHEUS)
    assert ok.status_code == 200
    assert b"collabhub_http_requests_total" in ok.content


def test_series_add_up_across_gunicorn_workers(tmp_path: Path) -> None:
    """Two real gunicorn workers in multiprocess mode: /metrics/ counts both workers' requests."""
    port = free_port()
    env = process_env(
        **PRODUCTION_ON_LOOPBACK,
        SECRET_KEY="metrics-test-" + "x" * 40,
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"),
        RATE_LIMIT_ANON="100000/min",
        RATE_LIMIT_USER="100000/min",
    )
    migrate = [sys.executable, "manage.py", "migrate", "--no-input"]
    subprocess.run(migrate, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "collabhub.wsgi:application", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--no-control-socket"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(f"{base}/live/")

        def hit(_: int) -> int:
            with urllib.request.urlopen(f"{base}/ready/", timeout=10) as response:
                return response.status

        # Concurrent connections: while one sync worker is busy the other accepts.
        with ThreadPoolExecutor(max_workers=8) as pool:
            assert set(pool.map(hit, range(80))) == {200}
        headers = {"Accept": "text/plain", "Authorization": f"Bearer {METRICS_TOKEN}"}
        request = urllib.request.Request(f"{base}/metrics/", headers=headers)
        with urllib.request.urlopen(request, timeout=5) as response:
            text = response.read().decode()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)

    total = sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "collabhub_http_requests_total" and sample.labels["route"] == "ready/"
    )
    assert total == 80
    written = list((tmp_path / "prometheus").glob("counter_*.db"))
    assert len(written) == 2, "each worker keeps its own file; /metrics/ adds them up"


def test_cache_hits_and_misses_are_counted(client: Client) -> None:
    from django.core.cache import cache

    default = (("cache", "default"),)  # keys with no registered prefix
    hit, miss = (("cache_hits_total", default), ("cache_misses_total", default))
    before = scrape(client)
    cache.get("metrics-test-absent")
    cache.set("metrics-test-present", 0)  # a falsy value is still a hit
    assert cache.get("metrics-test-present", "default") == 0
    assert cache.get_many(["metrics-test-present", "metrics-test-absent"]) == {
        "metrics-test-present": 0
    }
    after = scrape(client)

    # Each scrape runs no cache reads of its own, but requests (throttling) may: at least ours.
    assert after[hit] - before.get(hit, 0) >= 2
    assert after[miss] - before.get(miss, 0) >= 2
