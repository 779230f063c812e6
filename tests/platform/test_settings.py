"""The settings module picks its backends from the environment, in a fresh process each."""

import json
import subprocess
from pathlib import Path

from tests.support import process_env, run_python

PROBE = """
import json, django
from django.conf import settings
django.setup()
from observability.backends import backends_info
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"],
    "options": db.get("OPTIONS", {}),
    "conn_max_age": db.get("CONN_MAX_AGE"),
    "conn_health_checks": db.get("CONN_HEALTH_CHECKS"),
    "cache": settings.CACHES["default"]["BACKEND"],
    "cache_options": settings.CACHES["default"].get("OPTIONS", {}),
    "channel_layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker": settings.CELERY_BROKER_URL,
    "redis_available": settings.REDIS_AVAILABLE,
    "backends": backends_info(),
}))
"""


def run_settings(tmp_path: Path, **env_vars: str) -> subprocess.CompletedProcess[str]:
    return run_python(PROBE, process_env(SQLITE_PATH=str(tmp_path / "db"), **env_vars))


def probe(tmp_path: Path, **env_vars: str) -> dict:
    result = run_settings(tmp_path, **env_vars)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_defaults_need_no_services(tmp_path: Path) -> None:
    config = probe(tmp_path, DEBUG="1")

    assert config["engine"] == "django.db.backends.sqlite3"
    assert config["options"]["transaction_mode"] == "IMMEDIATE"
    assert config["options"]["timeout"] >= 5
    assert "journal_mode=WAL" in config["options"]["init_command"]
    assert config["cache"].endswith("LocMemCache")
    assert config["channel_layer"] == "channels.layers.InMemoryChannelLayer"
    assert config["eager"] is True
    assert config["redis_available"] is False
    assert config["backends"] == {
        "database": "sqlite",
        "cache": "local-memory",
        "channel_layer": "in-memory",
        "celery": "eager (in-process)",
    }


def test_a_sqlite_database_url_gets_the_same_locking_options(tmp_path: Path) -> None:
    """Naming the file by URL must not drop IMMEDIATE transactions and the busy timeout
    (without them, concurrent writers failed with "database is locked")."""
    config = probe(tmp_path, DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'other.sqlite3'}")

    assert config["engine"] == "django.db.backends.sqlite3"
    assert config["options"]["transaction_mode"] == "IMMEDIATE"
    assert config["options"]["timeout"] == 20
    assert "journal_mode=WAL" in config["options"]["init_command"]


def test_redis_url_switches_cache_channels_and_broker(tmp_path: Path) -> None:
    config = probe(tmp_path, DEBUG="1", REDIS_URL="redis://127.0.0.1:6399/0")

    assert config["cache"] == "observability.cache.RedisCache"  # django-redis, counted
    assert config["cache_options"]["SOCKET_TIMEOUT"] <= 2
    assert config["cache_options"]["SOCKET_CONNECT_TIMEOUT"] <= 2
    assert config["channel_layer"] == "channels_redis.core.RedisChannelLayer"
    assert config["broker"] == "redis://127.0.0.1:6399/0"
    assert config["eager"] is False
    assert config["redis_available"] is True
    assert config["backends"]["cache"] == "redis"


def test_celery_broker_can_differ_from_redis(tmp_path: Path) -> None:
    config = probe(tmp_path, DEBUG="1", CELERY_BROKER_URL="redis://127.0.0.1:6399/5")

    assert config["broker"] == "redis://127.0.0.1:6399/5"
    assert config["eager"] is False
    assert config["cache"].endswith("LocMemCache")


def test_database_url_selects_postgresql_with_persistent_connections(tmp_path: Path) -> None:
    config = probe(tmp_path, DEBUG="1", DATABASE_URL="postgres://u:p@127.0.0.1:5999/collabhub")

    assert config["engine"] == "core.db.postgresql"  # Django's, with query deadlines
    assert config["conn_max_age"] == 60
    assert config["conn_health_checks"] is True
    assert config["options"] == {"connect_timeout": 2, "options": "-c statement_timeout=3000"}
    assert config["backends"]["database"] == "postgresql"


def test_the_statement_timeout_is_an_environment_setting(tmp_path: Path) -> None:
    config = probe(tmp_path, DEBUG="1", DATABASE_URL="postgres://u:p@127.0.0.1:5999/collabhub",
                   DB_STATEMENT_TIMEOUT_MS="0", DB_CONNECT_TIMEOUT="5")  # fmt: skip

    assert config["options"] == {"connect_timeout": 5, "options": "-c statement_timeout=0"}


def test_missing_secret_key_with_debug_off_is_a_clear_error(tmp_path: Path) -> None:
    result = run_settings(tmp_path, DEBUG="0")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_off_with_secret_key_and_metrics_token_starts(tmp_path: Path) -> None:
    config = probe(tmp_path, DEBUG="0", SECRET_KEY="x" * 50, METRICS_TOKEN="y" * 32)

    assert config["engine"] == "django.db.backends.sqlite3"
