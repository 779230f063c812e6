"""Faults injected into the production shape (tests/faults/stack.py): the broker unreachable
while 1,000 events are written, a worker SIGKILLed mid-fan-out, Redis stopped under a mixed
load. Each asserts what a user would see: no 5xx, writes not slowed by the broker, and every
notification delivered exactly once after recovery -- without restarting anything.

Runs in the service-backed run (CI's PostgreSQL + Redis pass); figures in docs/reliability.md.
"""

import json
import statistics
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Count, Max, Q

from accounts.models import User
from feed.models import ActivityEvent, Follow, Notification
from startups.models import Startup
from tests.accounts.factories import FounderFactory, UserFactory
from tests.faults.stack import Stack, post_jobs
from tests.faults.writers import writers_run
from tests.startups.factories import StartupFactory
from tests.support import METRICS_TOKEN

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(300),
    pytest.mark.skipif(
        settings.DATABASE_VENDOR != "postgresql",
        reason="production shape on PostgreSQL: runs in the service-backed run",
    ),
]


def followed_startup(followers: int) -> tuple[User, Startup, list[User]]:
    founder = FounderFactory()
    startup = StartupFactory(owner=founder)
    fans = UserFactory.create_batch(followers)
    startup_type = ContentType.objects.get_for_model(Startup)
    Follow.objects.bulk_create(
        Follow(follower=fan, target_type=startup_type, target_id=startup.pk) for fan in fans
    )
    return founder, startup, fans


def wait_until_dispatched(expected: int, timeout: float, stack: Stack | None = None) -> None:
    events = ActivityEvent.objects.filter(action_type="opportunity_posted")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if events.filter(dispatched_at__isnull=False).count() >= expected:
            return
        time.sleep(0.5)
    done = events.filter(dispatched_at__isnull=False).count()
    state = events.aggregate(
        queued=Count("pk", filter=Q(queued_at__isnull=False, dispatched_at__isnull=True)),
        attempts=Max("dispatch_attempts"),
    )
    pending = list(events.filter(dispatched_at__isnull=True).values_list("pk", flat=True)[:10])
    # What the beat and the worker said last, and what the broker holds: a failure here must be
    # diagnosable from CI's log.
    logs = f"\npending events {pending}; {broker_state(stack)}" if stack is not None else ""
    logs += "".join(
        f"\n--- {name}.log (last lines) ---\n" + "\n".join(stack.log(name).splitlines()[-40:])
        for name in ("beat", "worker")
        if stack is not None
    )
    raise AssertionError(f"{done} of {expected} fan-outs done after {timeout:.0f}s {state}{logs}")


def broker_client(stack: Stack) -> redis.Redis:
    return redis.Redis.from_url(stack.broker.url, socket_timeout=2)


def unacknowledged_events(stack: Stack) -> list[int]:
    """The events whose fan-out tasks the broker holds as unacknowledged (kombu's Redis
    transport: the hash ``unacked``, of ``[message, exchange, routing key]``)."""
    messages = [json.loads(raw)[0] for raw in broker_client(stack).hvals("unacked")]
    return sorted(
        int(message["headers"]["argsrepr"].strip("(,)"))
        for message in messages
        if message["headers"].get("task") == "feed.event_fanout"
    )


def broker_state(stack: Stack) -> str:
    """The broker's queue, and the events of its unacknowledged fan-out tasks."""
    try:
        queued = broker_client(stack).llen("celery")
        return f"broker: {queued} queued, unacknowledged for events {unacknowledged_events(stack)}"
    except redis.exceptions.RedisError as exc:
        return f"broker: unreachable ({exc})"


def p95(seconds: list[float]) -> float:
    return statistics.quantiles(seconds, n=20)[-1]


def test_broker_down_while_1000_events_are_written(stack: Stack) -> None:
    founder, startup, (fan,) = followed_startup(1)
    baseline = post_jobs(stack, founder, startup, 60)  # broker up: published after commit
    wait_until_dispatched(60, timeout=30, stack=stack)
    events = ActivityEvent.objects.filter(action_type="opportunity_posted")
    accepted = set(events.filter(dispatch_attempts=0).values_list("pk", flat=True))

    stack.broker.stop()
    during = post_jobs(stack, founder, startup, 1000)
    assert {status for status, _ in during} == {201}
    assert events.count() == 1060
    # Every write answered without waiting on the broker: at most 200 ms added.
    up, down = [s for _, s in baseline], [s for _, s in during]
    assert p95(down) <= p95(up) + 0.2, (p95(up), p95(down))
    assert events.filter(dispatched_at__isnull=True).count() == 1000  # all in the outbox

    stack.broker.start()  # same port: beat's sweep queues them, the worker fans them out
    back = time.monotonic()
    wait_until_dispatched(1060, timeout=120, stack=stack)
    print(f"{60 - len(accepted)} of the 60 first publishes failed and went through the outbox")
    print(f"broker down: 1000 writes, p95 {p95(down) * 1000:.0f} ms (broker up: "
          f"{p95(up) * 1000:.0f} ms), max {max(down) * 1000:.0f} ms; all fanned out "
          f"{time.monotonic() - back:.1f}s after the broker returned")  # fmt: skip

    notifications = Notification.objects.filter(recipient=fan, event__in=events)
    assert notifications.count() == 1060  # each exactly once
    # Only the lost ones were queued again: those the broker had accepted never were.
    assert len(accepted) >= 55, len(accepted)  # (a publish may fail now and then: outbox)
    assert (
        set(events.filter(pk__in=accepted, dispatch_attempts=0).values_list("pk", flat=True))
        == accepted
    )
    assert '"status_code": 5' not in stack.log("web")


def test_a_worker_killed_mid_fan_out_loses_and_duplicates_nothing(stack: Stack) -> None:
    """Killed with a fan-out not yet committed (the test holds the rows of the events still
    waiting, so the worker's next fan-out blocks on one): the broker delivers
    the dead worker's unacknowledged tasks again -- each worker looks every 10 s for those past
    the visibility timeout -- and the queue goes on. (A task the worker had only just fetched is
    lost with kombu's Redis transport; the outbox queues it again after ``FEED_LOST_AFTER``.)"""
    founder, startup, fans = followed_startup(300)
    statuses = [status for status, _ in post_jobs(stack, founder, startup, 40)]
    assert statuses == [201] * 40
    events = ActivityEvent.objects.filter(action_type="opportunity_posted")
    deadline = time.monotonic() + 30
    while (
        events.filter(dispatched_at__isnull=False).count() < 3  # fan-outs are running
        or events.filter(queued_at__isnull=True).exists()  # and all 40 are published
    ):
        assert time.monotonic() < deadline, "the worker never started"
        time.sleep(0.05)

    with transaction.atomic():  # the waiting events' rows, until the worker is dead
        waiting = events.select_for_update(skip_locked=True).filter(dispatched_at__isnull=True)
        locked = set(waiting.values_list("pk", flat=True))
        deadline = time.monotonic() + 30
        while not lock_waits():  # a fan-out blocked on a row this test holds
            assert time.monotonic() < deadline, "the worker never reached the held events"
            time.sleep(0.02)
        stack.worker_kill()  # well within the 3 s statement timeout of the blocked fan-out
    killed_at = events.filter(dispatched_at__isnull=False).count()
    held = unacknowledged_events(stack)  # the dead worker's
    assert set(held) & locked, (held, locked)  # one at least was not yet dispatched
    stack.worker_start()  # a new worker; the broker gives it the unacknowledged tasks
    restarted = time.monotonic()
    wait_until_dispatched(40, timeout=120, stack=stack)
    recovered = time.monotonic() - restarted

    # Delivered again by the broker, not left to the outbox (FEED_LOST_AFTER, 60 s here).
    assert not events.filter(pk__in=held, dispatch_attempts__gt=0).exists(), held
    print(
        f"worker SIGKILLed after {killed_at} of 40 fan-outs (300 recipients each), holding "
        f"events {held}; all done {recovered:.1f}s after the restart"
    )
    assert Notification.objects.filter(event__in=events).count() == 40 * 300
    for fan in fans[:5]:
        assert Notification.objects.filter(recipient=fan, event__in=events).count() == 40


def lock_waits() -> int:
    """Fan-outs (other connections to the test database) waiting for an event's row lock."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # else fixed for the transaction
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid() AND query LIKE %s",
            ['SELECT % FROM "feed_activityevent" % FOR UPDATE'],
        )
        (count,) = cursor.fetchone()
    return int(count)


def test_redis_stopped_under_a_mixed_load_gives_no_5xx_and_recovers(stack: Stack) -> None:
    report: dict[str, Any] = {}

    def load() -> None:
        report["writers"] = writers_run(stack.web, writers=4, writes=60)

    thread = threading.Thread(target=load)
    thread.start()
    time.sleep(2)  # the accounts are set up and writing
    stack.redis.stop()
    time.sleep(3)
    stack.redis.start()
    thread.join()

    writers = report["writers"]
    print(f"Redis stopped 3 s under load: {writers.writes} writes, {dict(writers.statuses)}")
    assert writers.server_errors == []
    assert writers.writes == 240
    created = writers.created.get("startups_startup", [])
    assert Startup.objects.filter(pk__in=created).count() == len(created) > 0
    # Back without a restart: health is green again once the breaker lets a probe through.
    time.sleep(1.5)
    request = urllib.request.Request(
        f"{stack.web}/health/", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        health = json.loads(response.read())
    assert health["checks"]["cache"]["status"] == "ok", health
    assert health["checks"]["channel_layer"]["status"] == "ok", health


def test_the_worker_outlives_a_broker_restart_in_the_middle_of_fan_outs(stack: Stack) -> None:
    """The broker (Redis, no persistence) restarts empty while the worker has tasks in flight
    and more waiting: the worker reconnects by itself, and the fan-outs the broker forgot are
    queued again from the outbox -- each recipient notified once."""
    founder, startup, _ = followed_startup(300)
    assert [s for s, _ in post_jobs(stack, founder, startup, 40)] == [201] * 40
    events = ActivityEvent.objects.filter(action_type="opportunity_posted")
    deadline = time.monotonic() + 30
    while events.filter(dispatched_at__isnull=False).count() < 3:
        assert time.monotonic() < deadline, "the worker never started"
        time.sleep(0.05)
    worker = stack.processes["worker"]

    stack.broker.stop()
    stopped_at = events.filter(dispatched_at__isnull=False).count()
    time.sleep(3)
    stack.broker.start()  # empty: the queue and the unacknowledged tasks are gone
    wait_until_dispatched(40, timeout=120, stack=stack)

    print(f"broker restarted empty after {stopped_at} of 40 fan-outs")
    assert stopped_at < 40, "everything finished before the restart: nothing was tested"
    assert worker.poll() is None  # the same worker process, still running
    assert Notification.objects.filter(event__in=events).count() == 40 * 300


def test_the_worker_outlives_a_broker_stop_while_a_pool_slot_is_idle(stack: Stack) -> None:
    """One fan-out running and the other pool slot idle, so the worker has a ``BRPOP`` out
    for a next task, when the broker stops: with kombu's own Redis transport the worker
    exited there ("Unrecoverable error", AttributeError 'hostname'; core/broker.py). In the
    test above, 40 queued fan-outs keep both slots busy and the worker seldom meets it."""
    founder, startup, _ = followed_startup(300)
    events = ActivityEvent.objects.filter(action_type="opportunity_posted")
    worker = stack.processes["worker"]
    stack.beat_stop()  # its tasks (every 2 s) would take the idle slot now and then
    time.sleep(1)  # the last ones finish
    seen = len(stack.log("worker"))
    assert [s for s, _ in post_jobs(stack, founder, startup, 1)] == [201]
    deadline = time.monotonic() + 30
    while "Task feed.event_fanout[" not in stack.log("worker")[seen:]:
        assert time.monotonic() < deadline, "the worker never received the fan-out"
        time.sleep(0.05)

    stack.broker.stop()
    time.sleep(3)
    stack.broker.start()  # empty: beat's sweep queues again what the broker forgot
    stack.beat_start()
    wait_until_dispatched(1, timeout=60, stack=stack)
    log = stack.log("worker")[seen:]
    assert "Restoring 1 unacknowledged message(s)" in log, "no task held at the stop"
    assert "Unrecoverable error" not in log, log[-3000:]

    assert [s for s, _ in post_jobs(stack, founder, startup, 1)] == [201]
    wait_until_dispatched(2, timeout=60, stack=stack)  # by the same worker
    assert worker.poll() is None
    assert Notification.objects.filter(event__in=events).count() == 2 * 300


def broker_holds(stack: Stack) -> int:
    """Tasks queued or running (unacknowledged) in the broker."""
    client = broker_client(stack)
    return int(client.llen("celery")) + int(client.hlen("unacked"))


def pool_processes(worker: "subprocess.Popen[bytes]") -> set[int]:
    """The worker's prefork pool processes (its children)."""
    return set(map(int, Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()))


@pytest.mark.parametrize("stack", [6], indirect=True)
def test_the_worker_outlives_broker_stops_with_its_pool_busy_then_idle(stack: Stack) -> None:
    """Six pool processes, all running fan-outs (acks late), when the broker stops; it stops
    again later, the worker idle. The same worker reconnects both times and its pool processes
    are the ones it started with: a running task is not cancelled at a connection loss. (They
    were: their processes were terminated, celery lost track of a live replacement when
    several exited together, and the next reconnect stopped the worker: "Unrecoverable error:
    ValueError('file descriptor is None')", docs/reliability.md.)"""
    founder, startup, _ = followed_startup(300)
    events = ActivityEvent.objects.filter(action_type="opportunity_posted")
    done = events.filter(dispatched_at__isnull=False)
    worker = stack.processes["worker"]
    deadline = time.monotonic() + 30
    while len(pool := pool_processes(worker)) < 6:
        assert time.monotonic() < deadline, f"the worker's pool did not start: {pool}"
        time.sleep(0.1)

    def wait_until_done(count: int) -> None:
        deadline = time.monotonic() + 120
        while done.count() < count and worker.poll() is None:
            assert time.monotonic() < deadline, broker_state(stack)
            time.sleep(0.2)

    assert [s for s, _ in post_jobs(stack, founder, startup, 40)] == [201] * 40
    wait_until_done(3)  # all six slots busy from here on
    stack.broker.stop()
    stopped_at = done.count()
    time.sleep(3)
    stack.broker.start()  # empty: the outbox queues again what the broker forgot
    wait_until_done(40)
    deadline = time.monotonic() + 60  # and the duplicates the outbox queued meanwhile (no-ops)
    while broker_holds(stack) and worker.poll() is None:
        assert time.monotonic() < deadline, broker_state(stack)
        time.sleep(0.2)

    stack.broker.stop()  # the worker idle
    time.sleep(3)
    stack.broker.start()
    if worker.poll() is None:
        assert [s for s, _ in post_jobs(stack, founder, startup, 1)] == [201]
        wait_until_done(41)

    log = stack.log("worker")
    cancelled = log.count("Terminating it instead")
    print(f"broker stopped after {stopped_at} of 40 fan-outs, then idle; {cancelled} cancelled")
    assert "Unrecoverable error" not in log, log[-4000:]
    assert worker.poll() is None  # the same worker process, still running
    assert log.count("Connected to core.broker.RedisTransport") == 3, log[-4000:]
    assert pool_processes(worker) == pool
    assert Notification.objects.filter(event__in=events).count() == 41 * 300
