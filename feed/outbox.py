"""Publishing fan-out tasks off the request path.

A write's response must not wait on the broker: a dead broker answers at once, but a frozen
one costs a socket timeout. So after commit the event id is handed to one publisher thread
per process, which publishes it (with the request's context, so its request ID travels) and
records when the broker accepted it. Nothing is lost if the publish fails, the broker is
skipped (its breaker open) or the process dies first: the event row is the outbox, and
``events_redispatch`` (Celery beat, every minute) queues what was never accepted.

With no broker (the embedded default, tasks run eagerly) the fan-out runs at once instead.
"""

import contextvars
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from celery import current_app
from django.db import close_old_connections

logger = logging.getLogger("collabhub.feed")

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_pid = 0


def _publisher() -> ThreadPoolExecutor:
    global _executor, _pid
    with _lock:
        if _executor is None or _pid != os.getpid():  # a forked worker gets its own thread
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox")
            _pid = os.getpid()
        return _executor


def _in_publisher(job: Callable[..., Any], kwargs: dict[str, Any]) -> None:
    close_old_connections()
    try:
        job(**kwargs)
    except Exception:
        logger.exception("outbox publish failed; the re-dispatcher will retry")
    finally:
        close_old_connections()


def publish_soon(job: Callable[..., Any], **kwargs: Any) -> None:
    """Run ``job(**kwargs)`` in the publisher thread (eagerly when tasks run in-process)."""
    if current_app.conf.task_always_eager:
        try:
            job(**kwargs)
        except Exception:  # the change is committed: a failed fan-out is the outbox's to retry
            logger.exception("fan-out failed after commit; the re-dispatcher will retry")
        return
    context = contextvars.copy_context()  # the request ID, for the task's headers
    _publisher().submit(context.run, _in_publisher, job, kwargs)


def publisher_drain(timeout: float = 10) -> None:
    """Wait until what was handed to the publisher so far is published (tests, shutdown)."""
    done = threading.Event()
    _publisher().submit(done.set)
    done.wait(timeout)
