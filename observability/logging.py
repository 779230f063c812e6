import logging
import re
from typing import Any

from observability.context import request_id_get

# Keys whose values are never written to a log, wherever they appear in a record's extras.
_SECRET_KEYS = re.compile(
    r"pass(word)?|secret|token|ticket|authorization|cookie|refresh|access|api[-_]?key",
    re.IGNORECASE,
)
REDACTED = "[redacted]"
# A quoted SQL literal: where a query's values -- password hashes, token ids, tickets -- stand
# once Django's debug log has put them into its text.
_SQL_STRING = re.compile(r"'(?:[^']|'')*'")
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: REDACTED if _SECRET_KEYS.search(str(key)) else _redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(item) for item in value]
    return value


class RequestIDFilter(logging.Filter):
    """Puts the current request ID on every log record.

    Django logs 4xx/5xx responses (``django.request``) after the middleware chain has
    returned and the context variable is reset, so the request on the record is asked too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            request = getattr(record, "request", None)
            record.request_id = request_id_get() or getattr(request, "request_id", None)
        return True


def _redact_sql(record: logging.LogRecord) -> None:
    """Django's SQL debug lines (``django.db.backends``) carry the query with its values and
    the values again: keep the query's shape, blank every string value."""
    sql, params = getattr(record, "sql", None), getattr(record, "params", None)
    masked = _SQL_STRING.sub("'…'", str(sql))
    record.sql, record.params = masked, REDACTED
    if isinstance(record.args, tuple):
        record.args = tuple(
            masked if arg is sql else REDACTED if arg is params else arg for arg in record.args
        )


class RedactSecretsFilter(logging.Filter):
    """Blanks extras named like secrets (``password``, ``token``, ``authorization`` …) and
    the values in SQL debug lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("django.db.backends") and hasattr(record, "sql"):
            _redact_sql(record)
        for key in set(vars(record)) - _STANDARD_ATTRS:
            if _SECRET_KEYS.search(key):
                setattr(record, key, REDACTED)
            else:
                setattr(record, key, _redact(getattr(record, key)))
        return True
