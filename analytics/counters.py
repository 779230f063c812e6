"""Counting what happens, cheaply: increments go to a per-process buffer, flushed into
``Rollup`` rows (minute, hour and day) by additive upserts at most every ``FLUSH_EVERY``
seconds, by whichever caller comes next outside a transaction, and by the dashboard before it
reads. A process that dies loses at most its last few seconds of counts -- these are
figures for a dashboard, not records (the events themselves are in the event store).
"""

import logging
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from django.db import DatabaseError, connection

from analytics.models import Granularity, Rollup

logger = logging.getLogger("collabhub.analytics")

FLUSH_EVERY = 2.0  # seconds
FLUSH_AT = 5_000  # buffered keys: flush sooner than that
# Counted once per bucket, however often (an active person).
DISTINCT = frozenset({"active_user"})

_lock = threading.Lock()
_buffer: Counter[tuple[str, str, datetime]] = Counter()
_flushed_at = time.monotonic()


def _minute(at: datetime | None) -> datetime:
    at = (at or datetime.now(UTC)).astimezone(UTC)
    return at.replace(second=0, microsecond=0)


def count(metric: str, dimension: str = "", n: int = 1, at: datetime | None = None) -> None:
    """Add ``n`` to ``metric`` (per ``dimension``) in the current minute."""
    key = (metric, str(dimension)[:64], _minute(at))
    with _lock:
        _buffer[key] += n
        due = time.monotonic() - _flushed_at > FLUSH_EVERY or len(_buffer) > FLUSH_AT
    if due and not connection.in_atomic_block:
        flush()


def buckets(minute: datetime) -> dict[str, datetime]:
    return {
        Granularity.MINUTE: minute,
        Granularity.HOUR: minute.replace(minute=0),
        Granularity.DAY: minute.replace(hour=0, minute=0),
    }


def flush() -> int:
    """Write what is buffered; returns the rows upserted. On a database error the counts go
    back into the buffer for the next flush."""
    global _flushed_at
    with _lock:
        pending = dict(_buffer)
        _buffer.clear()
        _flushed_at = time.monotonic()
    if not pending:
        return 0
    rows: Counter[tuple[str, str, str, datetime]] = Counter()
    for (metric, dimension, minute), n in pending.items():
        for granularity, bucket in buckets(minute).items():
            if metric in DISTINCT:
                rows[(metric, granularity, dimension, bucket)] = 1
            else:
                rows[(metric, granularity, dimension, bucket)] += n
    try:
        _upsert(rows)
    except DatabaseError:
        logger.warning("analytics counts not written; kept for the next flush", exc_info=True)
        with _lock:
            _buffer.update(pending)
        return 0
    return len(rows)


def _upsert(rows: Counter[tuple[str, str, str, datetime]]) -> None:
    table = Rollup._meta.db_table
    distinct = ", ".join(f"'{metric}'" for metric in sorted(DISTINCT))  # our constants
    adapt = connection.ops.adapt_datetimefield_value
    items = sorted(rows.items(), key=lambda item: (item[0][0], item[0][1], item[0][3]))
    for start in range(0, len(items), 200):
        chunk = items[start : start + 200]
        values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
        params: list[Any] = []
        for (metric, granularity, dimension, bucket), n in chunk:
            params += [metric, granularity, adapt(bucket), dimension, n]
        # Counts add up; a distinct count (an active person in an hour) stays 1.
        sql = (
            f"INSERT INTO {table} (metric, granularity, bucket, dimension, count) "  # noqa: S608
            f"VALUES {values} ON CONFLICT (metric, granularity, bucket, dimension) "
            f"DO UPDATE SET count = CASE WHEN {table}.metric IN ({distinct}) "
            f"THEN 1 ELSE {table}.count + excluded.count END"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def buffer_clear() -> None:
    """Tests: forget what is buffered."""
    with _lock:
        _buffer.clear()
