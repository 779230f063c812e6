"""Metrics: Prometheus series for requests, WebSockets, caches, database connections and
health; JSON business metrics.

With ``PROMETHEUS_MULTIPROC_DIR`` set (several gunicorn workers), prometheus-client's
multiprocess mode aggregates every worker's series; otherwise the process's own registry is
used. Domain apps add their own series with ``series_register`` and business gauges with
``business_metric_register``, both in ``ready()``; gauges read at scrape time from outside the
process (``scrape_collector_register``: the Celery queues) are served by the web only.
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
CACHE_HITS = Counter(
    "cache_hits_total",
    "Cache reads that found their key, by cache (named from the key's prefix: "
    "observability.cache.cache_name_register).",
    ["cache"],
)
CACHE_MISSES = Counter(
    "cache_misses_total", "Cache reads that did not find their key, by cache.", ["cache"]
)
DB_CONNECTIONS = Gauge(
    "db_connections",
    "Database connections of this process: in_use = open now (every thread and alias); "
    "max = the most it may open, one per alias for each thread that serves requests or "
    "tasks (added up over the live workers in multiprocess mode).",
    ["state"],
    multiprocess_mode="livesum",
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


SERIES: list[Collector] = [
    REQUESTS,
    LATENCY,
    IN_PROGRESS,
    EXCEPTIONS,
    WEBSOCKETS,
    CACHE_HITS,
    CACHE_MISSES,
    DB_CONNECTIONS,
    RATE_LIMITED,
    SIGN_IN_FAILURES,
    SIGN_IN_LOCKOUTS,
    CELERY_TASKS,
    CELERY_TASK_DURATION,
    HEALTH,
    CIRCUIT_OPEN,
]


def series_register(*series: Collector) -> None:
    """An app's own series (counters, histograms of the work it does), served with these.
    Idempotent. In multiprocess mode every series is read from the workers' files anyway."""
    for each in series:
        if each not in SERIES:
            SERIES.append(each)


_scrape_collectors: list[Collector] = []


def scrape_collector_register(collector: Collector) -> None:
    """A collector that reads a figure from outside the process when metrics are scraped
    (e.g. the broker's queue lengths): served with the business gauges, by the web only. It
    must be quick and yield nothing, never raise, when its source does not answer."""
    if collector not in _scrape_collectors:
        _scrape_collectors.append(collector)


def scrape_collectors() -> list[Collector]:
    return list(_scrape_collectors)


def exception_record(exc: BaseException) -> None:
    EXCEPTIONS.labels(type=type(exc).__name__).inc()


_business: dict[str, tuple[Callable[[], int], str, str]] = {}


def business_metric_register(
    name: str, compute: Callable[[], int], description: str, *, prefixed: bool = True
) -> None:
    """A business figure (e.g. ``startups``), computed when metrics are read: the JSON key
    ``name``, the gauge ``collabhub_<name>`` -- or exactly ``name`` when ``prefixed`` is
    false (series whose names dashboards already use, e.g. ``active_users``)."""
    _business[name] = (compute, description, f"collabhub_{name}" if prefixed else name)


def business_metrics() -> dict[str, int]:
    """Every registered figure that can be computed now; one that fails is left out (and
    logged) so the other series, health included, still reach the scraper."""
    values = {}
    for name, (compute, _, _) in sorted(_business.items()):
        try:
            values[name] = int(compute())
        except Exception:
            logger.warning("business metric failed", extra={"metric": name}, exc_info=True)
    return values


class BusinessCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        for name, value in business_metrics().items():
            _, description, exposed = _business[name]
            yield GaugeMetricFamily(exposed, description, value=value)


def registry(*, business: bool = True) -> CollectorRegistry:
    """Every series of this process (of all its workers in multiprocess mode), and the business
    gauges and scrape-time collectors unless ``business`` is false (a Celery worker's endpoint
    leaves them to the web)."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for collector in SERIES:
            registry.register(collector)
    if business:
        registry.register(BusinessCollector())
        for collector in _scrape_collectors:
            registry.register(collector)
    return registry


_before_scrape: list[Callable[[], None]] = []


def before_scrape_register(refresh: Callable[[], None]) -> None:
    """A quick, I/O-free refresh of this process's gauges (e.g. its open database
    connections) run before each exposition; one that fails is logged and skipped."""
    if refresh not in _before_scrape:
        _before_scrape.append(refresh)


def exposition() -> bytes:
    """The Prometheus text exposition of every series, business gauges included."""
    for refresh in _before_scrape:
        try:
            refresh()
        except Exception:
            logger.warning("metrics refresh failed", exc_info=True)
    return generate_latest(registry())
