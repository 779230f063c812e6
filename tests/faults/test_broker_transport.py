"""The broker lost while a worker holds unacknowledged tasks, driven through kombu exactly as
Celery's consumer drives it on a connection loss (core/broker.py says why the worker used to
exit): deterministic, in-process, against a real redis-server of the test's own.

The stock-kombu test is a canary: it fails the day kombu stops raising ``AttributeError``
there, and ``core.broker`` (with ``CELERY_BROKER_TRANSPORT``) can then go.
"""

import time
from pathlib import Path

import pytest
from kombu import Connection, Consumer, Exchange, Producer, Queue
from kombu.common import ignore_errors
from kombu.message import Message

from core.broker import BrokerConnectionReleased, RedisTransport
from tests.support import RedisServer, process_env, run_python

pytestmark = pytest.mark.timeout(60)

OURS = "core.broker.RedisTransport"
KOMBUS = "redis"
TASKS = Queue("tasks", Exchange("tasks"), "tasks")
# Celery's remote control: a channel of its own consuming an auto-delete fanout queue.
REMOTE_CONTROL = Queue("worker.pidbox", Exchange("pidbox", type="fanout"), auto_delete=True)


def worker_holding_a_task(url: str, transport: str) -> tuple[Connection, Message]:
    """A consumer as the worker's: one task received and not acknowledged (acks_late), a
    ``BRPOP`` waiting for the next one (the event loop always has one out), and a
    remote-control channel."""
    connection = Connection(
        url,
        transport=transport,
        transport_options={"socket_timeout": 2, "socket_connect_timeout": 2, "max_retries": 0},
    )
    with connection.channel() as channel:
        Producer(channel).publish(
            {"task": "fan_out", "event": 1},
            exchange=TASKS.exchange,
            routing_key="tasks",
            declare=[TASKS],
        )
    received: list[Message] = []
    tasks = Consumer(
        connection.default_channel,
        [TASKS],
        callbacks=[lambda body, message: received.append(message)],
        accept=["json"],
    )
    tasks.consume()
    connection.drain_events(timeout=5)
    Consumer(connection.channel(), [REMOTE_CONTROL], no_ack=True, accept=["json"]).consume()
    connection.default_channel._brpop_start()
    assert len(received) == 1
    return connection, received[0]


def release_after_connection_loss(connection: Connection) -> None:
    """What ``celery.worker.consumer.Consumer.on_connection_error_after_connected`` does to
    the lost connection; an exception escaping it stops the worker."""
    connection.collect(socket_timeout=0.1)
    ignore_errors(connection, connection.close)


def test_a_lost_broker_leaves_the_worker_running_and_its_late_ack_a_connection_error(
    redis_server: RedisServer,
) -> None:
    connection, message = worker_holding_a_task(redis_server.url, OURS)
    redis_server.stop()

    release_after_connection_loss(connection)  # raised AttributeError: the worker exited

    # The task finishes later: its late ack (or its requeue, worker lost) is a connection
    # error, which Celery logs ("Couldn't ack") and survives.
    with pytest.raises(RedisTransport.connection_errors) as ack:
        message.ack()
    assert isinstance(ack.value, BrokerConnectionReleased)
    with pytest.raises(BrokerConnectionReleased):
        message.reject(requeue=True)


def test_a_task_the_lost_connection_could_not_restore_is_delivered_again(
    persistent_broker: RedisServer,
) -> None:
    """The broker comes back with its data: the released channel does not restore the task,
    which stays unacknowledged in the broker and is delivered again after the visibility
    timeout."""
    connection, message = worker_holding_a_task(persistent_broker.url, OURS)
    persistent_broker.stop()
    connection.collect(socket_timeout=0.1)
    persistent_broker.start()  # same port, same data: the task is still unacknowledged
    ignore_errors(connection, connection.close)  # raised AttributeError

    transport_options = {"visibility_timeout": 1}
    with Connection(
        persistent_broker.url, transport=OURS, transport_options=transport_options
    ) as again:
        time.sleep(1.2)  # past the visibility timeout
        again.default_channel.qos.restore_visible()
        redelivered = again.SimpleQueue(TASKS).get(timeout=5)
        assert redelivered.payload == message.payload == {"task": "fan_out", "event": 1}
        assert redelivered.delivery_info["redelivered"] is True
        redelivered.ack()


def test_kombus_own_transport_still_exits_the_worker_there(redis_server: RedisServer) -> None:
    connection, message = worker_holding_a_task(redis_server.url, KOMBUS)
    redis_server.stop()

    with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'hostname'"):
        release_after_connection_loss(connection)
    with pytest.raises(AttributeError, match="hostname"):
        message.ack()


@pytest.mark.parametrize(
    ("broker_url", "transport"),
    [
        ("redis://127.0.0.1:6379/0", "core.broker.RedisTransport"),
        # kombu turns TLS on from the scheme's name: these keep kombu's own transport.
        ("rediss://127.0.0.1:6380/0?ssl_cert_reqs=required", "kombu.transport.redis.Transport"),
        ("sentinel://127.0.0.1:26379", "kombu.transport.redis.SentinelTransport"),
    ],
)
def test_the_worker_uses_the_guarded_transport_for_redis_brokers(
    tmp_path: Path, broker_url: str, transport: str
) -> None:
    script = (
        "from collabhub.celery import app; "
        "cls = type(app.connection_for_read().transport); "
        "print(f'{cls.__module__}.{cls.__qualname__}')"
    )
    env = process_env(DEBUG="1", SQLITE_PATH=str(tmp_path / "db"), CELERY_BROKER_URL=broker_url)

    result = run_python(script, env)  # no connection is opened

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == transport
