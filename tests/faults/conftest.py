import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from observability.breaker import breakers_reset
from tests.faults.stack import Stack
from tests.support import RedisServer


def require_redis_server() -> None:
    """Needs Debian's redis-server: CI installs it; with REQUIRE_SERVICES=1 a missing one
    fails the test instead of skipping."""
    if shutil.which("redis-server") is None:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("redis-server is not installed")
        pytest.skip("needs redis-server (apt-get install redis-server)")


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A Redis of this test's own, to stop and freeze."""
    require_redis_server()
    server = RedisServer()
    server.start()
    breakers_reset()
    try:
        yield server
    finally:
        server.stop()
        breakers_reset()


@pytest.fixture
def persistent_broker(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis that keeps its data across a stop and a start (as one with persistence does)."""
    require_redis_server()
    broker = RedisServer(data_dir=tmp_path)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def redis_cache(settings, redis_server: RedisServer) -> RedisServer:
    """The default cache (and so the rate-limit counters) on that Redis, as in production."""
    settings.CACHES = {
        "default": {
            "BACKEND": "observability.cache.RedisCache",
            "LOCATION": redis_server.url,
            "KEY_PREFIX": "collabhub",
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
    settings.CIRCUIT_BREAKER_COOLDOWN = 0.5
    return redis_server


@pytest.fixture
def stack(
    request: pytest.FixtureRequest, transactional_db: None, redis_server: RedisServer
) -> Iterator[Stack]:
    """The production shape (stack.py) on the test's database and Redis, with a broker of its
    own (to stop). Its worker has 2 pool processes, or as many as the test's indirect
    parameter says (``@pytest.mark.parametrize("stack", [6], indirect=True)``)."""
    broker = RedisServer()
    broker.start()
    directory = Path(tempfile.mkdtemp(prefix="collabhub-faults-"))
    concurrency = getattr(request, "param", 2)
    running = Stack(directory, redis_server, broker, concurrency=concurrency)
    try:
        yield running.start()
    finally:
        running.stop()
        broker.stop()
        shutil.rmtree(running.directory, ignore_errors=True)
