"""Why a worker that terminated its pool processes at a broker connection loss could exit at
a later reconnect ("Unrecoverable error: ValueError('file descriptor is None')"), driven
in-process: celery's prefork pool and kombu's event loop as the worker's consumer drives them
(celery 5.7.0, kombu 5.7.0; docs/reliability.md).

The worker watches each pool process's exit through a duplicate of its sentinel fd
(``AsynPool._track_child_process``). When several processes exit together, one poll returns
all their sentinels; the first callback reaps them all, closes their fds and starts
replacements, which get the same fd numbers; the next events of that poll then run the
callback now registered for such a number: a live replacement is "untracked", its fd set to
None while it stays in the pool. The next reconnect registers the pool again and kombu's
``fileno(None)`` raises a ``ValueError`` that celery's guard (``OSError``,
``AttributeError``) lets through.

Settings no longer terminate running tasks at a connection loss
(``CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False``), so an outage kills no
pool process; this test is a canary: it fails the day celery keeps track of its processes.
"""

import signal
import time
from collections.abc import Iterator

import pytest
from celery import Celery
from celery.concurrency.prefork import TaskPool
from kombu.asynchronous import Hub

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def pool() -> Iterator[TaskPool]:
    """Six prefork processes, as a worker's ``--concurrency 6`` starts them."""
    app = Celery("pool-canary", broker="memory://", set_as_current=False)
    pool = TaskPool(limit=6, app=app, initargs=(app, "canary@localhost"), threads=False)
    pool.start()
    try:
        yield pool
    finally:
        pool.terminate()


def run(loop: Iterator[None], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        next(loop)


def untracked_live_processes(pool: TaskPool) -> list[int]:
    return [
        process.pid
        for process in pool._pool._pool
        if process._sentinel_poll is None and process.exitcode is None
    ]


def test_processes_exiting_together_leave_one_the_next_registration_fails_on(
    pool: TaskPool,
) -> None:
    hub = Hub()
    pool.register_with_event_loop(hub)
    loop = hub.create_loop()
    run(loop, 2)  # the processes are up

    # Each round does what a connection loss did to six running acks-late tasks: terminate
    # their processes (``Request.cancel``), which are dead before the loop polls again (the
    # worker polls once it has reconnected). Which fd numbers the replacements get varies:
    # a round leaves an untracked process about every second time.
    for _ in range(10):
        for process in list(pool._pool._pool):
            pool._pool.terminate_job(process.pid, signal.SIGTERM)
        time.sleep(1)
        run(loop, 2)
        if untracked_live_processes(pool):
            break
    untracked = untracked_live_processes(pool)
    assert untracked, "celery tracked every replacement: the canary is dead"

    hub.reset()  # what asynloop does when the connection fails; the next one registers again
    with pytest.raises(ValueError, match="file descriptor is None"):
        pool.register_with_event_loop(hub)
