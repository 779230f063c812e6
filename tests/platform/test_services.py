"""The backing services this run was configured with are the ones really in use.

On the embedded defaults these prove the in-process stand-ins; with DATABASE_URL / REDIS_URL
set (CI's second run, REQUIRE_SERVICES=1) they prove PostgreSQL and Redis are really used.
"""

import os
import uuid

import pytest
import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from observability.backends import backends_info

REQUIRED = os.environ.get("REQUIRE_SERVICES") == "1"


def test_required_services_are_configured() -> None:
    if REQUIRED:
        assert settings.DATABASE_VENDOR == "postgresql"
        assert settings.REDIS_AVAILABLE
    else:
        assert settings.DATABASE_VENDOR in {"sqlite", "postgresql"}


@pytest.mark.django_db
def test_database_connection_is_the_configured_vendor() -> None:
    with connection.cursor() as cursor:
        if settings.DATABASE_VENDOR == "postgresql":
            cursor.execute("SELECT current_setting('server_version_num')::int")
            assert cursor.fetchone()[0] >= 150000
        else:
            cursor.execute("PRAGMA journal_mode")
            # Test databases are in memory (journal "memory"); files use WAL.
            assert cursor.fetchone()[0] in {"wal", "memory"}
    assert connection.vendor == settings.DATABASE_VENDOR
    assert backends_info()["database"] == settings.DATABASE_VENDOR


def test_cache_round_trip_uses_the_configured_backend() -> None:
    key, value = f"probe-{uuid.uuid4().hex}", {"answer": 42}
    cache.set(key, value, timeout=30)
    assert cache.get(key) == value
    if settings.REDIS_AVAILABLE:
        # The value is really in Redis, not in a process-local stand-in.
        location = settings.CACHES["default"]["LOCATION"]
        client = redis.Redis.from_url(location)
        assert client.exists(cache.make_key(key)) == 1
    else:
        assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")


def test_channel_layer_round_trip() -> None:
    layer = get_channel_layer()
    assert layer is not None
    expected = "RedisChannelLayer" if settings.REDIS_AVAILABLE else "InMemoryChannelLayer"
    assert type(layer).__name__ == expected
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.send)(channel, {"type": "probe", "n": 7})
    assert async_to_sync(layer.receive)(channel) == {"type": "probe", "n": 7}


def test_celery_broker_matches_redis_configuration() -> None:
    from collabhub.settings import CELERY_BROKER_URL  # the value before test overrides

    if settings.REDIS_AVAILABLE:
        assert CELERY_BROKER_URL
        client = redis.Redis.from_url(CELERY_BROKER_URL, socket_connect_timeout=2)
        assert client.ping() is True
    else:
        assert CELERY_BROKER_URL == ""


def test_the_redis_channel_layer_never_times_out_its_own_blocking_reads() -> None:
    layer = get_channel_layer()
    if not settings.REDIS_AVAILABLE:
        assert type(layer).__name__ == "InMemoryChannelLayer"
        return
    # The pool the layer really builds from the settings (and then discards: no connection).
    pool = layer.create_pool(0)
    assert pool.connection_kwargs["socket_timeout"] > layer.brpop_timeout
