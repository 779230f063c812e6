import logging

from observability.context import request_id_get


class RequestIDFilter(logging.Filter):
    """Puts the current request ID on every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id_get()
        return True
