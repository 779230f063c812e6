"""``db_connections{state}``: the database connections this process holds, and may hold.

Django keeps one connection per thread and alias, and sends ``connection_created`` when one
opens but nothing when one closes. So every connection wrapper that ever connected is
remembered (weakly: a dead thread's wrapper goes away with it) and the open ones are counted
-- no I/O, no query -- when a connection opens, after each request and task (once Django has
closed the connections it closes then) and before each scrape.

``max`` is this process's own capacity, not the server's limit: one connection per alias for
each thread that runs requests or tasks (``db_connection_threads_set``: gunicorn's
``threads``, 1 for a sync worker or a prefork pool process, the default). Summed over a pod's
live workers (``livesum``) it is what the pod may ask the database for, to compare with
PostgreSQL's ``max_connections``; SQLite has no server limit, and the same per-thread rule
holds. ``in_use`` may briefly exceed it while ``/health/`` runs its database checks in their
own threads (they close their connections when done).
"""

import threading
import weakref
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from observability.metrics import DB_CONNECTIONS

_wrappers: "weakref.WeakSet[BaseDatabaseWrapper]" = weakref.WeakSet()
_lock = threading.Lock()
_threads = 1


def db_connection_threads_set(threads: int) -> None:
    """How many threads of this process may each hold a connection (per alias)."""
    global _threads
    _threads = max(1, int(threads))
    db_connections_refresh()


def _remember(connection: BaseDatabaseWrapper) -> None:
    with _lock:
        _wrappers.add(connection)


def db_connections_in_use() -> int:
    for connection in connections.all(initialized_only=True):  # this thread's, if opened early
        if connection.connection is not None:
            _remember(connection)
    with _lock:
        wrappers = list(_wrappers)
    return sum(1 for wrapper in wrappers if wrapper.connection is not None)


def db_connections_refresh(**kwargs: Any) -> None:
    """Set the gauge from the wrappers' state (a signal receiver too: takes any arguments)."""
    DB_CONNECTIONS.labels(state="in_use").set(db_connections_in_use())
    DB_CONNECTIONS.labels(state="max").set(_threads * len(connections.settings))


def connection_opened(connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    _remember(connection)
    db_connections_refresh()
