"""Query plans for latency-bound reads.

PostgreSQL plans a query in parallel once its estimated cost passes ``parallel_setup_cost``
and friends, whatever the real work: a walk of a thousand index rows joined to their parents
(3 ms of work) was planned with a Gather Merge whose workers took 20 ms to start on the
reference machine, and the parallel workers are a small pool shared by every connection. A
request made of many such small queries runs them serially instead, inside ``serial_plans()``.
"""

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections


@contextmanager
def serial_plans(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """No parallel plans on this connection inside the block (PostgreSQL; elsewhere a no-op).

    Two round trips: ``SET max_parallel_workers_per_gather = 0`` and ``RESET`` at the end (the
    connection's own default comes back). When the block fails inside a transaction, the
    setting is left to the rollback, which undoes a ``SET`` made after the transaction (or
    savepoint) began; a ``RESET`` would fail in an aborted transaction.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET max_parallel_workers_per_gather = 0")
    try:
        yield
    except BaseException:
        if not connection.in_atomic_block:
            # Never hides the error that got here (a broken connection is dropped anyway).
            with suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute("RESET max_parallel_workers_per_gather")
        raise
    with connection.cursor() as cursor:
        cursor.execute("RESET max_parallel_workers_per_gather")
