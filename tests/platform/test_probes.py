import json
import time

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client, override_settings

from observability import health
from observability.backends import backends_info
from tests.support import free_port, process_env, run_python

pytestmark = pytest.mark.django_db


def with_token() -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {settings.METRICS_TOKEN}"}


def test_live_is_200_without_touching_the_database(
    client: Client, django_assert_num_queries
) -> None:
    with django_assert_num_queries(0):
        response = client.get("/live/")

    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


def test_ready_when_database_answers_and_migrations_are_applied(client: Client) -> None:
    response = client.get("/ready/")

    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


@pytest.mark.django_db(transaction=True)  # the checks run on their own connections
def test_not_ready_while_a_migration_is_pending(client: Client) -> None:
    recorder = MigrationRecorder(connection)
    latest = recorder.Migration.objects.filter(app="startups").order_by("-id").first()
    latest.delete()
    try:
        response = client.get("/ready/", **with_token())
    finally:
        recorder.record_applied(latest.app, latest.name)

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["migrations"]["status"] == "error"
    assert "1 migrations not applied" in body["checks"]["migrations"]["error"]
    assert client.get("/ready/").status_code == 200


def test_probes_need_no_auth_and_are_not_throttled(client: Client) -> None:
    statuses = {client.get("/live/").status_code for _ in range(700)}

    assert statuses == {200}


@pytest.mark.django_db(transaction=True)
def test_health_reports_every_check_and_the_backends(client: Client) -> None:
    response = client.get("/health/", **with_token())

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    expected = {"database", "migrations", "cache", "channel_layer"}
    if settings.CELERY_BROKER_URL:
        expected.add("celery_broker")
    assert set(body["checks"]) == expected
    for check in body["checks"].values():
        assert check["status"] == "ok"
        assert check["error"] is None
        assert check["latency_ms"] >= 0
    assert body["backends"] == backends_info()


def test_health_is_degraded_when_redis_is_configured_but_down(client: Client) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": dead,
                "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
            }
        },
        CHANNEL_LAYERS={
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": [dead]},
            }
        },
        CELERY_BROKER_URL=dead,
    ):
        started = time.monotonic()
        response = client.get("/health/", **with_token())
        elapsed = time.monotonic() - started

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    for name in ("cache", "channel_layer", "celery_broker"):
        assert body["checks"][name]["status"] == "degraded", name
        assert body["checks"][name]["error"], name
    assert body["checks"]["database"]["status"] == "ok"
    assert elapsed < settings.HEALTH_CHECK_TIMEOUT + 2


def test_a_fresh_process_names_the_real_redis_error_in_every_check(tmp_path) -> None:
    """In a new process the checks import their Redis clients concurrently, in worker threads:
    the report must still be the connection error (not an ImportError from a half-imported
    module), and the broker's must come at once (not a timeout behind kombu's retries)."""
    script = (
        "import json, django; django.setup(); from django.test import Client; "
        "print(json.dumps(Client().get('/health/').json()['checks']))"
    )
    dead = f"redis://127.0.0.1:{free_port()}/0"
    env = process_env(DEBUG="1", SQLITE_PATH=str(tmp_path / "db"), REDIS_URL=dead)

    result = run_python(script, env)

    assert result.returncode == 0, result.stderr
    checks = json.loads(result.stdout.strip().splitlines()[-1])
    for name in ("cache", "channel_layer", "celery_broker"):
        assert checks[name]["status"] == "degraded", name
        assert "Error 111 connecting" in checks[name]["error"], checks[name]  # refused
        assert checks[name]["latency_ms"] < 1000, checks[name]


def test_a_hung_check_is_cut_off_at_the_timeout(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "HEALTH_CHECK_TIMEOUT", 0.5)
    monkeypatch.setitem(health._checks, "hung", health.HealthCheck(lambda: time.sleep(3), True))

    started = time.monotonic()
    response = client.get("/health/", **with_token())
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["hung"] == {
        "status": "error",
        "latency_ms": 500.0,
        "error": "timed out after 0.5s",
    }
    assert elapsed < 2


def test_unreachable_database_is_unhealthy_while_live_stays_up(tmp_path) -> None:
    script = (
        "import json, django; django.setup(); from django.test import Client; c = Client(); "
        "print(json.dumps([c.get(p).status_code for p in ('/live/', '/ready/', '/health/')]))"
    )
    env = process_env(
        DEBUG="1",
        DATABASE_URL=f"postgres://nobody@127.0.0.1:{free_port()}/none",
        HEALTH_CHECK_TIMEOUT="3",
    )

    started = time.monotonic()
    result = run_python(script, env)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [200, 503, 503]
    assert time.monotonic() - started < 30
