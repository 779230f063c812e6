"""Metrics: Prometheus series for requests, WebSockets and health; JSON business metrics.

With ``PROMETHEUS_MULTIPROC_DIR`` set (several gunicorn workers), prometheus-client's
multiprocess mode aggregates every worker's series; otherwise the process's own registry is
used. Domain apps add business gauges with ``business_metric_register`` in ``ready()``.
"""

import logging
import os
from collections.abc import Callable, Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger("collabhub.metrics")

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # the series' files go there: it must exist
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

REQUESTS = Counter("collabhub_http_requests_total", "HTTP requests.", ["method", "route", "status"])
LATENCY = Histogram(
    "collabhub_http_request_duration_seconds",
    "HTTP request latency.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
IN_PROGRESS = Gauge(
    "collabhub_http_requests_in_progress",
    "HTTP requests being served.",
    multiprocess_mode="livesum",
)
EXCEPTIONS = Counter("collabhub_http_exceptions_total", "Unhandled exceptions.", ["type"])
WEBSOCKETS = Gauge(
    "collabhub_websocket_connections", "Open WebSocket connections.", multiprocess_mode="livesum"
)
CACHE_REQUESTS = Counter(
    "collabhub_cache_requests_total", "Cache reads, by result (hit or miss).", ["result"]
)
RATE_LIMITED = Counter(
    "collabhub_rate_limited_total",
    "API requests refused by a rate limit (429), by scope.",
    ["scope"],
)
SIGN_IN_FAILURES = Counter(
    "collabhub_sign_in_failures_total", "Failed sign-ins, by surface (api, admin).", ["surface"]
)
SIGN_IN_LOCKOUTS = Counter(
    "collabhub_sign_in_lockouts_total",
    "Sign-ins refused or locked after too many failures, by surface (api, admin).",
    ["surface"],
)
CELERY_TASKS = Counter(
    "collabhub_celery_tasks_total",
    "Celery tasks run in this process, by task name and outcome.",
    ["task", "outcome"],
)
CELERY_TASK_DURATION = Histogram(
    "collabhub_celery_task_duration_seconds",
    "Celery task run time, by task name.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300),
)
HEALTH = Gauge(
    "collabhub_health_check_status",
    "Last result of each health check: 1 ok, 0 failing.",
    ["check"],
    multiprocess_mode="mostrecent",
)
CIRCUIT_OPEN = Counter(
    "collabhub_circuit_open_total",
    "Times a dependency's circuit opened (calls to it skipped for a while).",
    ["dependency"],
)


SERIES = (
    REQUESTS,
    LATENCY,
    IN_PROGRESS,
    EXCEPTIONS,
    WEBSOCKETS,
    CACHE_REQUESTS,
    RATE_LIMITED,
    SIGN_IN_FAILURES,
    SIGN_IN_LOCKOUTS,
    CELERY_TASKS,
    CELERY_TASK_DURATION,
    HEALTH,
    CIRCUIT_OPEN,
)


def exception_record(exc: BaseException) -> None:
    EXCEPTIONS.labels(type=type(exc).__name__).inc()


_business: dict[str, tuple[Callable[[], int], str]] = {}


def business_metric_register(name: str, compute: Callable[[], int], description: str) -> None:
    """A business figure (e.g. ``startups``), computed when metrics are read."""
    _business[name] = (compute, description)


def business_metrics() -> dict[str, int]:
    """Every registered figure that can be computed now; one that fails is left out (and
    logged) so the other series, health included, still reach the scraper."""
    values = {}
    for name, (compute, _) in sorted(_business.items()):
        try:
            values[name] = int(compute())
        except Exception:
            logger.warning("business metric failed", extra={"metric": name}, exc_info=True)
    return values


class BusinessCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, value in business_metrics().items():
            yield GaugeMetricFamily(f"collabhub_{name}", _business[name][1], value=value)


def registry(*, business: bool = True) -> CollectorRegistry:
    """Every series of this process (of all its workers in multiprocess mode), and the business
    gauges unless ``business`` is false (a Celery worker's endpoint leaves them to the web)."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for collector in SERIES:
            registry.register(collector)
    if business:
        registry.register(BusinessCollector())
    return registry


def exposition() -> bytes:
    """The Prometheus text exposition of every series, business gauges included."""
    return generate_latest(registry())
