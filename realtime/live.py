"""Live groups: a socket may subscribe to a named group its user is admitted to (staff, to
``analytics``: ``{"type": "subscribe", "group": "analytics"}``), fed while anyone watches.

An app registers a group in ``AppConfig.ready``: who may subscribe (``admits(user)``) and, if
the group is fed by a periodic figure, ``publish()``, run every ``every`` seconds while at
least one socket of this process is subscribed -- in a worker thread, never the thread the
sockets' own database calls share. Of several processes with subscribers, the one holding the
group's lease in the cache publishes, and renews it each period, so one process keeps
publishing (and keeps its state, e.g. the alerts it raised); another takes over when it stops
for ``LEASE_PERIODS`` periods. When the cache cannot be reached every process publishes (a
second copy of a figure does no harm). Anything else may be sent to the group at any time
(``realtime.services.socket_group_push``).

Each process also reports how many sockets it holds (``sockets_open_count`` adds them up): to
the cache when the count changes and every ``PRESENCE_EVERY`` seconds, kept ``PRESENCE_TTL``
seconds -- a process that dies drops out of the sum on its own.
"""

import asyncio
import contextlib
import logging
import os
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.core.cache import cache
from django.db import close_old_connections

from observability.breaker import breaker

logger = logging.getLogger("collabhub.realtime")

PRESENCE_EVERY = 5.0  # seconds between reports of this process's socket count
PRESENCE_TTL = 20  # seconds a report counts for
PRESENCE_BATCH = 0.1  # seconds of changes reported together
PROCESSES_KEY = "realtime:processes"
PROCESS_KEY = f"realtime:sockets:{socket.gethostname()}:{os.getpid()}"
LEASE_PERIODS = 3  # periods without renewal before another process takes over publishing


@dataclass(frozen=True)
class LiveGroup:
    name: str
    admits: Callable[[Any], bool]  # user -> whether their sockets join
    publish: Callable[[], None] | None = None  # sends the group's periodic message
    every: float = 2.0  # seconds between publications


live_groups: dict[str, LiveGroup] = {}


def live_group_register(
    *,
    name: str,
    admits: Callable[[Any], bool],
    publish: Callable[[], None] | None = None,
    every: float = 2.0,
) -> None:
    live_groups[name] = LiveGroup(name, admits, publish, every)


def live_groups_for(user: Any) -> list[str]:
    return [group.name for group in live_groups.values() if group.admits(user)]


# This process: sockets per live group, and the tasks publishing to them.
_watchers: Counter[str] = Counter()
_publishers: dict[str, asyncio.Task[None]] = {}


def _running(task: "asyncio.Task[None] | None") -> bool:
    """Whether ``task`` is alive in this event loop (a test's loop ends; a process's not)."""
    return task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop()


def watch(group_name: str) -> None:
    """A socket of this process joined the group: publish while any does."""
    _watchers[group_name] += 1
    group = live_groups.get(group_name)
    if group is None or group.publish is None:
        return
    if not _running(_publishers.get(group_name)):
        _publishers[group_name] = asyncio.ensure_future(_publishing(group))


def unwatch(group_name: str) -> None:
    _watchers[group_name] -= 1
    if _watchers[group_name] > 0:
        return
    del _watchers[group_name]
    task = _publishers.pop(group_name, None)
    if task is not None:
        task.cancel()


def cache_unreachable() -> bool:
    """Whether the cache is failing: ours never raises (a miss, a write not made) but its
    circuit breaker opens; the in-memory cache never fails."""
    return breaker("redis").is_open


def _lease(group: LiveGroup) -> bool:
    """Whether this process publishes this period: it holds the group's lease (the first to
    ask takes it, the holder renews it), or nobody can tell."""
    key = f"realtime:live:{group.name}"
    ttl = group.every * LEASE_PERIODS
    if cache.add(key, PROCESS_KEY, timeout=ttl):
        return True
    holder = cache.get(key)
    if holder == PROCESS_KEY:
        cache.touch(key, ttl)
        return True
    return holder is None and cache_unreachable()


def _publish_once(group: LiveGroup) -> None:
    close_old_connections()
    try:
        if _lease(group):
            assert group.publish is not None  # noqa: S101 - only groups that publish get here
            group.publish()
    finally:
        close_old_connections()


async def _publishing(group: LiveGroup) -> None:
    failing = False
    while True:
        await asyncio.sleep(group.every)
        try:
            await sync_to_async(_publish_once, thread_sensitive=False)(group)
        except asyncio.CancelledError:
            raise
        except Exception:
            if not failing:  # once per outage, not every period
                logger.warning(
                    "live group not published", extra={"group": group.name}, exc_info=True
                )
            failing = True
        else:
            failing = False


# --- How many sockets are open, over every process ----------------------------------------
_open = 0
_presence: asyncio.Task[None] | None = None
_changed = asyncio.Event()  # set when this process's count changes


def socket_opened() -> None:
    global _open, _presence, _changed
    _open += 1
    if not _running(_presence):
        _changed = asyncio.Event()
        _presence = asyncio.ensure_future(_reporting())
    _changed.set()


def socket_closed() -> None:
    global _open
    _open -= 1
    _changed.set()


def _report() -> None:
    cache.set(PROCESS_KEY, _open, timeout=PRESENCE_TTL)
    processes = cache.get(PROCESSES_KEY) or []
    if PROCESS_KEY not in processes:
        # Processes that stopped reporting leave the list when another one joins it.
        alive = cache.get_many(processes)
        cache.set(PROCESSES_KEY, [*alive, PROCESS_KEY], timeout=None)


async def _reporting() -> None:
    """Report when the count changes (a burst of connections is one report), and every
    ``PRESENCE_EVERY`` seconds anyway."""
    while True:
        _changed.clear()
        try:
            await sync_to_async(_report, thread_sensitive=False)()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.debug("socket count not reported: cache unavailable")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_changed.wait(), PRESENCE_EVERY)
        await asyncio.sleep(PRESENCE_BATCH)


def live_state_clear() -> None:
    """Tests: forget this process's sockets and tasks (each test has its own event loop)."""
    global _open, _presence
    for task in [*_publishers.values(), _presence]:
        if task is not None and not task.done() and not task.get_loop().is_closed():
            task.cancel()
    _watchers.clear()
    _publishers.clear()
    _open, _presence = 0, None


def sockets_open_count() -> int | None:
    """Sockets open now over every process (as of their last report); None when the cache
    cannot say."""
    processes = cache.get(PROCESSES_KEY) or []
    count = sum(int(n) for n in cache.get_many(processes).values())
    return None if cache_unreachable() else count
