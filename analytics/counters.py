"""Counting what happens, cheaply: increments go to a per-process buffer, flushed into
``Rollup`` rows (minute, hour and day) by additive upserts every ``FLUSH_EVERY`` seconds by
one background thread per process -- never by a request, so a slow or frozen database costs
no request any time -- and by the dashboard before it reads. A process that dies loses at
most its last few seconds of counts: these are figures for a dashboard, not records (the
events themselves are in the event store). With ``ANALYTICS_BACKGROUND_FLUSH`` off (the
tests), the next caller outside a transaction flushes instead.
"""

import logging
import os
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction

from analytics.models import ActivePerson, EngagedPerson, Granularity, Rollup

logger = logging.getLogger("collabhub.analytics")

FLUSH_EVERY = 2.0  # seconds
FLUSH_AT = 5_000  # buffered keys: flush sooner than that
# Counted once per bucket, however often (an active person) -> the metric that totals them
# per bucket.
DISTINCT = {"active_user": "active_users"}
# Not bucketed: each (kind, item, person)'s latest minute, kept in ``EngagedPerson``
# (dimension ``<kind>:<item>:<person>``; see analytics/trending.py).
ENGAGED = "engaged"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

RETRY_AFTER = 30.0  # seconds without flush attempts after one failed (the database is down)
BUFFER_MAX = 50_000  # keys; beyond it, while the database is down, new counts are dropped

_lock = threading.Lock()
_buffer: Counter[tuple[str, str, datetime]] = Counter()
_flushed_at = time.monotonic()
_retry_at = 0.0  # monotonic time before which no flush is attempted
_dropped = 0
_flusher: threading.Thread | None = None
_flusher_pid = 0


def _flush_loop() -> None:
    while True:
        time.sleep(FLUSH_EVERY)
        if time.monotonic() < _retry_at or not getattr(
            settings, "ANALYTICS_BACKGROUND_FLUSH", True
        ):
            continue
        close_old_connections()
        try:
            flush()
        finally:
            close_old_connections()


def _flusher_started() -> bool:
    """Whether this process has its flushing thread (started on first use, again in a
    forked child); False when background flushing is off."""
    global _flusher, _flusher_pid
    if not getattr(settings, "ANALYTICS_BACKGROUND_FLUSH", True):
        return False
    if _flusher is not None and _flusher_pid == os.getpid():
        return True
    with _lock:
        if _flusher is None or _flusher_pid != os.getpid():
            _flusher = threading.Thread(target=_flush_loop, name="analytics-flush", daemon=True)
            _flusher.start()
            _flusher_pid = os.getpid()
    return True


def _minute(at: datetime | None) -> datetime:
    at = (at or datetime.now(UTC)).astimezone(UTC)
    return at.replace(second=0, microsecond=0)


def count(metric: str, dimension: str = "", n: int = 1, at: datetime | None = None) -> None:
    """Add ``n`` to ``metric`` (per ``dimension``) in the current minute. Never raises: a
    figure is not worth a failed request."""
    global _dropped
    key = (metric, str(dimension)[:64], _minute(at))
    now = time.monotonic()
    with _lock:
        if key not in _buffer and len(_buffer) >= BUFFER_MAX:
            _dropped += 1  # the database has been down a long while: keep memory bounded
            return
        _buffer[key] += n
        due = now >= _retry_at and (now - _flushed_at > FLUSH_EVERY or len(_buffer) > FLUSH_AT)
    if _flusher_started():
        return
    if due and not connection.in_atomic_block:
        flush()


def buckets(minute: datetime) -> dict[str, datetime]:
    return {
        Granularity.MINUTE: minute,
        Granularity.HOUR: minute.replace(minute=0),
        Granularity.DAY: minute.replace(hour=0, minute=0),
    }


def flush(*, raise_errors: bool = False) -> int:
    """Write what is buffered; returns the rows upserted. On any error the counts go back
    into the buffer, no flush is attempted for ``RETRY_AFTER`` seconds, and nothing is raised
    (unless ``raise_errors``: a rebuild must not go on without them)."""
    global _flushed_at, _retry_at, _dropped
    with _lock:
        pending = dict(_buffer)
        _buffer.clear()
        _flushed_at = time.monotonic()
    if not pending:
        return 0
    additive: Counter[tuple[str, str, str, datetime]] = Counter()
    distinct: set[tuple[str, str, str, datetime]] = set()
    last_seen: dict[str, datetime] = {}
    engaged: dict[tuple[str, int, int], int] = {}
    for (metric, dimension, minute), n in pending.items():
        if metric == ENGAGED:
            kind, item, person = dimension.split(":")
            key, at = (kind, int(item), int(person)), epoch_minute(minute)
            engaged[key] = max(engaged.get(key, at), at)
            continue
        for granularity, bucket in buckets(minute).items():
            if metric in DISTINCT:
                distinct.add((metric, granularity, dimension, bucket))
            else:
                additive[(metric, granularity, dimension, bucket)] += n
        if metric == "active_user" and dimension.isdigit():
            last_seen[dimension] = max(last_seen.get(dimension, minute), minute)
    try:
        with transaction.atomic():  # all of it or none of it: a retry counts nothing twice
            for (metric, granularity, bucket), new in _insert_distinct(distinct).items():
                additive[(DISTINCT[metric], granularity, "", bucket)] += new
            _upsert(additive)
            _last_active(last_seen)
            _engaged(engaged)
    except Exception:
        logger.warning("analytics counts not written; kept for the next flush", exc_info=True)
        with _lock:
            _buffer.update(pending)
            _retry_at = time.monotonic() + RETRY_AFTER
        if raise_errors:
            raise
        return 0
    with _lock:
        _retry_at, dropped, _dropped = 0.0, _dropped, 0
    if dropped:
        logger.warning("analytics counts dropped while the buffer was full", extra={"n": dropped})
    return len(additive) + len(distinct) + len(engaged)


def _values(count: int, width: int) -> str:
    return ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * count)


def _insert_distinct(
    rows: set[tuple[str, str, str, datetime]],
) -> Counter[tuple[str, str, datetime]]:
    """Rows counted once (an active person in a bucket): inserted if new; returns how many
    were new per (metric, granularity, bucket), which ``active_users`` adds up -- so the
    dashboard reads one count per bucket instead of counting the people again."""
    table = Rollup._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    new: Counter[tuple[str, str, datetime]] = Counter()
    items = sorted(rows, key=lambda row: (row[0], row[1], row[3], row[2]))
    for start in range(0, len(items), 200):
        chunk = items[start : start + 200]
        params: list[Any] = []
        for metric, granularity, dimension, bucket in chunk:
            params += [metric, granularity, adapt(bucket), dimension, 1]
        sql = (
            f"INSERT INTO {table} (metric, granularity, bucket, dimension, count) "  # noqa: S608
            f"VALUES {_values(len(chunk), 5)} "
            "ON CONFLICT (metric, granularity, bucket, dimension) DO NOTHING "
            "RETURNING metric, granularity, bucket"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            inserted = cursor.fetchall()
        by_key = {(m, g, adapt(b)): b for m, g, _, b in chunk}
        for metric, granularity, bucket in inserted:
            stored = bucket if isinstance(bucket, str) else adapt(bucket)
            new[(metric, granularity, by_key.get((metric, granularity, stored), bucket))] += 1
    return new


def _upsert(rows: Counter[tuple[str, str, str, datetime]]) -> None:
    table = Rollup._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    # One order for every flusher (the full key): concurrent upserts cannot deadlock.
    items = sorted(rows.items(), key=lambda item: (item[0][0], item[0][1], item[0][3], item[0][2]))
    for start in range(0, len(items), 200):
        chunk = items[start : start + 200]
        params: list[Any] = []
        for (metric, granularity, dimension, bucket), n in chunk:
            params += [metric, granularity, adapt(bucket), dimension, n]
        sql = (
            f"INSERT INTO {table} (metric, granularity, bucket, dimension, count) "  # noqa: S608
            f"VALUES {_values(len(chunk), 5)} "
            "ON CONFLICT (metric, granularity, bucket, dimension) "
            f"DO UPDATE SET count = {table}.count + excluded.count"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def _last_active(people: dict[str, datetime]) -> None:
    """Each person's last active minute, kept forward only: "active in the last 7 days" is
    one indexed count, whatever the number of buckets."""
    table = ActivePerson._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    items = sorted(people.items())
    for start in range(0, len(items), 500):
        chunk = items[start : start + 500]
        params: list[Any] = []
        for person, moment in chunk:
            params += [int(person), adapt(moment)]
        sql = (
            f"INSERT INTO {table} (person_id, last_active_at) "  # noqa: S608
            f"VALUES {_values(len(chunk), 2)} ON CONFLICT (person_id) DO UPDATE SET "
            f"last_active_at = CASE WHEN excluded.last_active_at > {table}.last_active_at "
            f"THEN excluded.last_active_at ELSE {table}.last_active_at END"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def epoch_minute(moment: datetime) -> int:
    return int((moment - EPOCH).total_seconds() // 60)


def _engaged(rows: dict[tuple[str, int, int], int]) -> None:
    """Each person's latest engagement per item, kept forward only (as ``_last_active``)."""
    table = EngagedPerson._meta.db_table
    items = sorted(rows.items())
    for start in range(0, len(items), 300):
        chunk = items[start : start + 300]
        params: list[Any] = []
        for (kind, item, person), minute in chunk:
            params += [kind, item, person, minute]
        sql = (
            f"INSERT INTO {table} (kind, item_id, person_id, minute) "  # noqa: S608
            f"VALUES {_values(len(chunk), 4)} ON CONFLICT (kind, item_id, person_id) DO UPDATE "
            f"SET minute = CASE WHEN excluded.minute > {table}.minute "
            f"THEN excluded.minute ELSE {table}.minute END"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def buffer_clear() -> None:
    """Tests: forget what is buffered, and any failure."""
    global _retry_at
    with _lock:
        _buffer.clear()
        _retry_at = 0.0
