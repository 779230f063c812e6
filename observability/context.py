"""The current request ID, carried in a context variable (works for threads and asyncio)."""

import re
import uuid
from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id_get() -> str | None:
    return request_id_var.get()


def request_id_from_header(value: str | None) -> str:
    """Keep a client's ID when it is safe to log and echo; otherwise make a new one."""
    if value and _SAFE_REQUEST_ID.match(value):
        return value
    return uuid.uuid4().hex
