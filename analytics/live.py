"""The live dashboard's feed: the page's socket subscribes to the ``analytics`` group (staff
only, ``realtime.live``), and while any is subscribed one process publishes, every
``ANALYTICS_LIVE_INTERVAL`` seconds:

- ``metric_update``: the totals of each range and the figures of the latest buckets (the
  page replaces its counters and the last points of its charts), the socket count, the last
  five minutes' request rate, error rate and p95 -- one message however much happened;
- ``system_alert``: when the error rate or the p95 of the last five minutes crosses its
  threshold, or ``/health/`` stops being healthy -- and again when it is back (``resolved``).
  Latency is counted in buckets (25, 50 … 3,200 ms): the p95 alert fires when the 95th
  percentile is certainly above the threshold (its bucket starts at or above it).

Experiments push ``experiment_update`` to the same group themselves.
"""

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache

from analytics import counters, selectors
from analytics.models import Granularity
from analytics.receivers import LATENCY_BOUNDS_MS
from observability.health import overall_status, run_checks
from realtime.live import cache_unreachable, sockets_open_count
from realtime.messages import ANALYTICS_GROUP, socket_message
from realtime.services import socket_group_push

logger = logging.getLogger("collabhub.analytics")

RECENT = timedelta(minutes=5)  # the window of the live request rate, error rate and p95
HEALTH_EVERY = 15.0  # seconds between health checks (they touch every backing service)
ALERTS_KEY = "analytics:alerts"  # the alerts raised, shared by whichever process publishes

_health: tuple[float, str] = (0.0, "healthy")  # (monotonic time checked, status)
_alerts_here: dict[str, dict[str, Any]] = {}  # the alerts, when the cache cannot say


def live_state_clear() -> None:
    """Tests: forget the last health check and the alerts kept in this process."""
    global _health, _alerts_here
    _health, _alerts_here = (0.0, "healthy"), {}


def _health_status() -> str:
    global _health
    checked_at, status = _health
    if time.monotonic() - checked_at >= HEALTH_EVERY:
        status = overall_status(run_checks())
        _health = (time.monotonic(), status)
    return status


def live_snapshot(*, now: datetime | None = None) -> dict[str, Any]:
    counters.flush()  # this process's counts are in it
    now = (now or datetime.now(UTC)).astimezone(UTC)
    minute = now.replace(second=0, microsecond=0)
    recent = selectors.recent_figures(since=minute - RECENT + timedelta(minutes=1))
    # Four whole minutes and the current one so far.
    minutes = RECENT.total_seconds() / 60 - 1 + (now - minute).total_seconds() / 60
    return {
        "at": now.isoformat(),
        "totals": {
            name: selectors.range_totals(timerange=name, now=now) for name in selectors.RANGES
        },
        # The current and the previous bucket of each granularity (a flush after the turn
        # of a minute still adds to the one before).
        "buckets": {
            Granularity.MINUTE: selectors.bucket_figures(
                granularity=Granularity.MINUTE, since=minute - timedelta(minutes=1)
            ),
            Granularity.HOUR: selectors.bucket_figures(
                granularity=Granularity.HOUR,
                since=minute.replace(minute=0) - timedelta(hours=1),
            ),
            Granularity.DAY: selectors.bucket_figures(
                granularity=Granularity.DAY,
                since=minute.replace(hour=0, minute=0) - timedelta(days=1),
            ),
        },
        "recent": {
            "minutes": int(RECENT.total_seconds() // 60),
            "api_requests": recent["api_requests"],
            "api_requests_per_minute": round(recent["api_requests"] / max(minutes, 1), 3),
            "error_rate": (
                recent["api_errors"] / recent["api_requests"] if recent["api_requests"] else 0.0
            ),
            "p95_ms": recent["p95_ms"],
        },
        "sockets": sockets_open_count(),
    }


def _bucket_floor(upper: float | None) -> float | None:
    """Where the latency bucket whose upper bound is ``upper`` starts (the p95 is above it)."""
    if upper is None:
        return None
    below = [bound for bound in LATENCY_BOUNDS_MS if bound < upper]
    return float(below[-1]) if below else 0.0


def alerts_evaluate(*, snapshot: dict[str, Any], health: str) -> dict[str, dict[str, Any]]:
    """The alerts that hold now, by code."""
    recent = snapshot["recent"]
    enough = recent["api_requests"] >= settings.ANALYTICS_ALERT_MIN_REQUESTS
    alerts: dict[str, dict[str, Any]] = {}
    if enough and recent["error_rate"] >= settings.ANALYTICS_ALERT_ERROR_RATE:
        alerts["error_rate"] = {
            "value": round(recent["error_rate"], 4),
            "threshold": settings.ANALYTICS_ALERT_ERROR_RATE,
            "message": f"{recent['error_rate']:.1%} of API requests failed with a 5xx "
            f"in the last {recent['minutes']} minutes.",
        }
    floor = _bucket_floor(recent["p95_ms"])
    if enough and floor is not None and floor >= settings.ANALYTICS_ALERT_P95_MS:
        alerts["p95"] = {
            "value": floor,
            "threshold": settings.ANALYTICS_ALERT_P95_MS,
            "message": f"API p95 latency was over {floor:.0f} ms "
            f"in the last {recent['minutes']} minutes.",
        }
    if health != "healthy":
        alerts["health"] = {
            "value": health,
            "threshold": "healthy",
            "message": f"/health/ reports {health}.",
        }
    return alerts


def _alerts_swap(alerts: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Store the alerts that hold now; returns those held before (by whichever process
    published; this process's own memory when the cache cannot say)."""
    global _alerts_here
    stored = cache.get(ALERTS_KEY)
    before = _alerts_here if stored is None and cache_unreachable() else (stored or {})
    cache.set(ALERTS_KEY, alerts, timeout=None)
    _alerts_here = alerts
    return before


def live_publish() -> None:
    """One ``metric_update`` to the staff watching, and a ``system_alert`` for each alert
    raised or resolved since the last publication (run by ``realtime.live``)."""
    snapshot = live_snapshot()
    alerts = alerts_evaluate(snapshot=snapshot, health=_health_status())
    before = _alerts_swap(alerts)
    snapshot["alerts"] = [{"code": code, **alert} for code, alert in sorted(alerts.items())]
    snapshot["published_at"] = time.time()  # the page measures delivery from it
    changes = [
        {"code": code, "status": "raised", **alert}
        for code, alert in alerts.items()
        if code not in before
    ] + [
        {"code": code, "status": "resolved", **alert}
        for code, alert in before.items()
        if code not in alerts
    ]
    for change in changes:
        log = logger.warning if change["status"] == "raised" else logger.info
        log("system alert %s", change["status"], extra={"alert": change["code"]})
        message = socket_message(type="system_alert", id=None, data=change)
        socket_group_push(group=ANALYTICS_GROUP, message=message)
    message = socket_message(type="metric_update", id=None, data=snapshot)
    socket_group_push(group=ANALYTICS_GROUP, message=message)
