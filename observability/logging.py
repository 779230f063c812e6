import logging

from observability.context import request_id_get


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
