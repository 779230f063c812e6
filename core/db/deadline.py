"""A client-side deadline for database queries.

PostgreSQL's ``statement_timeout`` ends a slow query on the server, but a server that is
frozen (stopped process, hung host) enforces nothing, and a client blocked reading its socket
waits forever: every worker hangs until the process manager kills it. One watchdog thread per
process keeps the deadline of each running query and shuts the socket of any query past it,
so the query fails at once with ``OperationalError`` (answered 503 by the API) and Django
drops the connection; the next request opens a fresh one.
"""

import contextlib
import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator

logger = logging.getLogger("collabhub.db")


class QueryWatchdog:
    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._running: dict[int, tuple[float, int]] = {}  # guard id -> (deadline, socket fd)
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._keys = itertools.count()

    @contextlib.contextmanager
    def guard(self, fd: int | None, seconds: float) -> Iterator[None]:
        """Run the block with the socket ``fd`` cut after ``seconds``; no deadline when
        ``seconds`` is 0 or there is no socket."""
        if not seconds or fd is None or fd < 0:
            yield
            return
        self._ensure_thread()
        key = next(self._keys)
        with self._lock:
            self._running[key] = (time.monotonic() + seconds, fd)
        try:
            yield
        finally:
            # Under the lock: once this returns, the watchdog can no longer touch the fd
            # (which the connection may close and the process reuse).
            with self._lock:
                self._running.pop(key, None)

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._pid = os.getpid()  # a forked worker starts its own watchdog
                self._running.clear()
                self._thread = threading.Thread(target=self._run, name="db-deadline", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            now = time.monotonic()
            with self._lock:
                expired = [key for key, (deadline, _) in self._running.items() if deadline <= now]
                for key in expired:
                    _, fd = self._running.pop(key)
                    _shutdown(fd)
            if expired:
                logger.warning("database query past its deadline: connection cut",
                               extra={"queries": len(expired)})  # fmt: skip


def _shutdown(fd: int) -> None:
    try:
        copy = os.dup(fd)
    except OSError:
        return
    try:
        duplicate = socket.socket(fileno=copy)
    except OSError:
        os.close(copy)
        return
    try:
        duplicate.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        duplicate.close()  # the duplicate only: the connection's own fd stays for psycopg


watchdog = QueryWatchdog()
