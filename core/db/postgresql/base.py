"""Django's PostgreSQL backend, with a client-side deadline on every query and health check
(``core.db.deadline``): a frozen server fails requests fast instead of hanging them.

The deadline is the server's ``statement_timeout`` plus a little (the server, when it can,
answers first with a clean error); ``DB_STATEMENT_TIMEOUT_MS=0`` turns both off (the Celery
worker's long jobs, migrations). The connection health check (``CONN_HEALTH_CHECKS``) gets one
second: ``SELECT 1`` never takes longer on a live server.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.backends.postgresql import base

from core.db.deadline import watchdog

HEALTH_CHECK_DEADLINE = 1.0
GRACE = 0.25


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.execute_wrappers.append(self._with_deadline)

    def _socket(self) -> int | None:
        if self.connection is None or self.connection.closed:
            return None
        return int(self.connection.pgconn.socket)

    @property
    def query_deadline(self) -> float:
        timeout_ms = settings.DB_STATEMENT_TIMEOUT_MS
        return timeout_ms / 1000 + GRACE if timeout_ms else 0.0

    def _with_deadline(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        with watchdog.guard(self._socket(), self.query_deadline):
            return execute(sql, params, many, context)

    # COMMIT and ROLLBACK go to psycopg directly, past the execute wrappers: guard them too.
    def _commit(self) -> None:
        with watchdog.guard(self._socket(), self.query_deadline):
            super()._commit()  # type: ignore[misc]

    def _rollback(self) -> None:
        with watchdog.guard(self._socket(), self.query_deadline):
            super()._rollback()  # type: ignore[misc]

    def is_usable(self) -> bool:
        with watchdog.guard(self._socket(), HEALTH_CHECK_DEADLINE):
            return bool(super().is_usable())
