"""Health checks: each runs in a worker thread with its own timeout, so a hung dependency
cannot hang the probe. Critical checks failing make the service ``unhealthy`` (503); the
others make it ``degraded`` (200: it still serves, e.g. without Redis).

Domain apps may add checks with ``health_check_register`` from their ``AppConfig.ready()``.
"""

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache, caches
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from kombu import Connection

from observability.cache import RedisCache
from observability.metrics import HEALTH

OK, DEGRADED, ERROR = "ok", "degraded", "error"


@dataclass(frozen=True)
class CheckResult:
    status: str
    latency_ms: float
    error: str | None = None


def _always() -> bool:
    return True


@dataclass(frozen=True)
class HealthCheck:
    run: Callable[[], None]  # raises when the dependency is not usable
    critical: bool
    enabled: Callable[[], bool] = _always  # e.g. the broker only when one is configured


_checks: dict[str, HealthCheck] = {}
_executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="health")


def health_check_register(
    name: str,
    run: Callable[[], None],
    *,
    critical: bool,
    enabled: Callable[[], bool] = _always,
) -> None:
    _checks[name] = HealthCheck(run=run, critical=critical, enabled=enabled)


def _with_closed_connection(run: Callable[[], None]) -> Callable[[], None]:
    """Checks that touch the database run in a worker thread: close its connection after."""

    def wrapped() -> None:
        try:
            run()
        finally:
            connections[DEFAULT_DB_ALIAS].close()

    return wrapped


def check_database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")


def check_migrations() -> None:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise RuntimeError(f"{len(pending)} migrations not applied")


def check_cache() -> None:
    primary = caches["default"]
    if isinstance(primary, RedisCache):
        primary.ping()  # the cache itself hides an outage (as a miss): ask Redis
        return
    key, value = f"health:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise RuntimeError("value written was not read back")
    cache.delete(key)


def check_channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.send)(channel, {"type": "health.ping"})
    if async_to_sync(layer.receive)(channel) != {"type": "health.ping"}:
        raise RuntimeError("message sent was not received back")


def check_celery_broker() -> None:
    """Connect once, no retries (they would outlast the check's timeout and hide the error)."""
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    timeout = settings.HEALTH_CHECK_TIMEOUT
    with Connection(
        settings.CELERY_BROKER_URL, connect_timeout=timeout, transport_options=options
    ) as connection:
        connection.ensure_connection(max_retries=0)


def run_checks(names: list[str] | None = None) -> dict[str, CheckResult]:
    selected = {
        name: check
        for name, check in _checks.items()
        if (names is None or name in names) and check.enabled()
    }
    timeout = settings.HEALTH_CHECK_TIMEOUT
    started = time.perf_counter()
    futures = {name: _executor.submit(_timed, check.run) for name, check in selected.items()}
    results: dict[str, CheckResult] = {}
    for name, future in futures.items():
        remaining = max(0.0, timeout - (time.perf_counter() - started))
        failed = DEGRADED if not selected[name].critical else ERROR
        try:
            latency_ms, error = future.result(timeout=remaining)
        except FutureTimeout:
            latency_ms, error = timeout * 1000, f"timed out after {timeout:g}s"
        results[name] = CheckResult(
            status=OK if error is None else failed, latency_ms=round(latency_ms, 2), error=error
        )
        HEALTH.labels(check=name).set(1 if error is None else 0)
    return results


def _timed(run: Callable[[], None]) -> tuple[float, str | None]:
    started = time.perf_counter()
    try:
        run()
    except Exception as exc:  # a failing dependency is a result, not a crash
        return (time.perf_counter() - started) * 1000, f"{type(exc).__name__}: {exc}"[:300]
    return (time.perf_counter() - started) * 1000, None


def overall_status(results: dict[str, CheckResult]) -> str:
    statuses = {result.status for result in results.values()}
    if ERROR in statuses:
        return "unhealthy"
    return "degraded" if DEGRADED in statuses else "healthy"


def results_as_dict(results: dict[str, CheckResult]) -> dict[str, Any]:
    return {name: asdict(result) for name, result in results.items()}


def _import_clients() -> None:
    """Import the client libraries now, in one thread: the checks run concurrently in worker
    threads, and two threads importing ``redis`` for the first time at once can see a
    partially initialised module (an ImportError reported as the broker's health)."""
    import redis.asyncio.connection
    import redis.connection  # noqa: F401

    if settings.CELERY_BROKER_URL:
        Connection(settings.CELERY_BROKER_URL).transport  # noqa: B018  (imports the transport)
    get_channel_layer()


def register_default_checks() -> None:
    _import_clients()
    health_check_register("database", _with_closed_connection(check_database), critical=True)
    health_check_register("migrations", _with_closed_connection(check_migrations), critical=True)
    health_check_register("cache", check_cache, critical=False)
    health_check_register("channel_layer", check_channel_layer, critical=False)
    health_check_register(
        "celery_broker",
        check_celery_broker,
        critical=False,
        enabled=lambda: bool(settings.CELERY_BROKER_URL),
    )
