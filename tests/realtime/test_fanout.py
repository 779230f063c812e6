"""Broadcasts reach each process once (``realtime.fanout``) and each socket once: against the
real ASGI application on the in-memory channel layer, and across two uvicorn processes on
real Redis (the service-backed run)."""

import asyncio
import contextlib
import json
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from websockets.sync.client import connect

from accounts.models import User
from collabhub.asgi import application
from realtime.messages import EVERYONE
from realtime.resume import ResumeSource, resume_sources
from realtime.services import socket_broadcast, ticket_issue
from tests.accounts.factories import UserFactory
from tests.support import (
    PRODUCTION_ON_LOOPBACK,
    ROOT,
    free_port,
    process_env,
    processes_stop,
    realtime_command,
    reply_of,
    run_python,
    wait_until_up,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(90)]

HEADERS = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]
NOTICE = {"type": "announcement", "id": 7, "data": {"text": "Maintenance at 22:00 UTC"}}


async def open_socket(user: User | None = None) -> WebsocketCommunicator:
    user = user or await database_sync_to_async(UserFactory)()
    ticket = await database_sync_to_async(ticket_issue)(user_id=user.pk)
    socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}", headers=HEADERS)
    connected, _ = await socket.connect()
    assert connected
    return socket


def in_memory_members(group: str) -> int:
    return len(get_channel_layer().groups.get(group, {}))  # type: ignore[union-attr]


@pytest.mark.skipif(settings.REDIS_AVAILABLE, reason="looks into the in-memory layer")
async def test_a_process_is_one_member_of_everyone_and_each_socket_gets_a_broadcast_once() -> None:
    sockets = [await open_socket() for _ in range(3)]
    assert in_memory_members(EVERYONE) == 1  # the process, not its three sockets

    await database_sync_to_async(socket_broadcast)(message=NOTICE)

    for socket in sockets:
        assert await socket.receive_json_from(timeout=2) == NOTICE
        assert await socket.receive_nothing(timeout=0.2)
    for socket in sockets:
        await socket.disconnect()
    assert in_memory_members(EVERYONE) == 0  # the last socket took the process out


async def test_broadcasts_reach_a_socket_opened_after_the_last_one_closed() -> None:
    first = await open_socket()
    await first.disconnect()
    again = await open_socket()

    await database_sync_to_async(socket_broadcast)(message=NOTICE)

    assert await again.receive_json_from(timeout=2) == NOTICE
    await again.disconnect()


async def test_a_broadcast_its_resume_has_just_sent_is_not_sent_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The resume replays the announcement; its broadcast, arriving after, is dropped on that
    socket only."""

    def announcements(*, user_id: int, after: int, limit: int) -> list[dict[str, Any]]:
        return [NOTICE] if after < NOTICE["id"] else []

    source = ResumeSource("announcement", "announcements_after", announcements)
    monkeypatch.setitem(resume_sources, "announcement", source)
    resumed, other = await open_socket(), await open_socket()
    await resumed.send_json_to({"type": "resume", "after": 0, "announcements_after": 0})
    assert await resumed.receive_json_from(timeout=2) == NOTICE
    assert reply_of(await resumed.receive_json_from(timeout=2))["type"] == "resumed"

    await database_sync_to_async(socket_broadcast)(message=NOTICE)

    assert await other.receive_json_from(timeout=2) == NOTICE
    assert await resumed.receive_nothing(timeout=0.3)
    await resumed.disconnect()
    await other.disconnect()


async def test_a_broadcast_during_a_resume_waits_for_it_and_is_sent_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A broadcast that arrives while the resume is still reading the database is not sent
    ahead of the replay (the replay would then send it a second time)."""
    reading, release = threading.Event(), threading.Event()

    def announcements(*, user_id: int, after: int, limit: int) -> list[dict[str, Any]]:
        reading.set()
        release.wait(10)
        return [NOTICE]

    source = ResumeSource("announcement", "announcements_after", announcements)
    monkeypatch.setitem(resume_sources, "announcement", source)
    socket = await open_socket()
    await socket.send_json_to({"type": "resume", "after": 0, "announcements_after": 0})
    assert await asyncio.get_running_loop().run_in_executor(None, reading.wait, 5)

    # Straight onto the layer: the broadcast service would wait for the database thread the
    # resume holds.
    await get_channel_layer().group_send(EVERYONE, {"type": "push", "message": NOTICE})
    await asyncio.sleep(0.2)  # the process's fan-out has handed it to the socket
    release.set()

    assert await socket.receive_json_from(timeout=2) == NOTICE  # the replay's
    assert reply_of(await socket.receive_json_from(timeout=2))["type"] == "resumed"
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


# --- Two processes on real Redis -------------------------------------------------------------


@pytest.fixture
def two_processes() -> Iterator[dict[str, Any]]:
    """Two uvicorn processes serving /ws/ as deployed, on this test's database and Redis."""
    if not settings.REDIS_AVAILABLE:
        pytest.skip("needs Redis: runs in the service-backed run")
    db = settings.DATABASES["default"]
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )
    redis_url = settings.CACHES["default"]["LOCATION"]  # this test's own Redis database
    redis.Redis.from_url(redis_url).flushdb()
    env = process_env(**PRODUCTION_ON_LOOPBACK, SECRET_KEY=settings.SECRET_KEY,
                      DATABASE_URL=database_url, REDIS_URL=redis_url, DB_CONN_MAX_AGE="0",
                      LOG_LEVEL="WARNING")  # fmt: skip
    ports = [free_port(), free_port()]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    processes = [
        subprocess.Popen(realtime_command(port), cwd=ROOT, env=env, start_new_session=True, **quiet)
        for port in ports
    ]
    try:
        for port in ports:
            wait_until_up(f"http://127.0.0.1:{port}/live/")
        yield {"env": env, "ports": ports, "redis": redis.Redis.from_url(redis_url)}
    finally:
        processes_stop(processes)


def test_two_processes_over_redis_deliver_a_broadcast_once_to_every_socket(
    two_processes: dict[str, Any],
) -> None:
    with contextlib.ExitStack() as stack:
        sockets = []
        for port in two_processes["ports"]:
            for _ in range(2):
                ticket = ticket_issue(user_id=UserFactory().pk)
                url = f"ws://127.0.0.1:{port}/ws/?ticket={ticket}"
                origin = f"http://127.0.0.1:{port}"
                sockets.append(stack.enter_context(connect(url, origin=origin, open_timeout=10)))
        for socket in sockets:  # each socket is open and served
            socket.send(json.dumps({"type": "ping"}))
            assert reply_of(json.loads(socket.recv(timeout=10))) == {"type": "pong"}
        # One member of the group per process, not per socket (channels-redis's group key).
        assert two_processes["redis"].zcard("collabhub:group:everyone") == 2

        # Sent from a third process, as the fan-out task sends it.
        script = (
            "import django; django.setup()\n"
            "from realtime.services import socket_broadcast\n"
            f"socket_broadcast(message={NOTICE!r})\n"
        )
        env = {**two_processes["env"], "DJANGO_SETTINGS_MODULE": "collabhub.settings"}
        sent = run_python(script, env)
        assert sent.returncode == 0, sent.stderr

        for socket in sockets:
            assert json.loads(socket.recv(timeout=10)) == NOTICE
        for socket in sockets:  # and once only
            with pytest.raises(TimeoutError):
                socket.recv(timeout=0.3)


@pytest.mark.skipif(settings.REDIS_AVAILABLE, reason="Redis's serialiser refuses it at the send")
async def test_a_broadcast_that_cannot_be_sent_as_json_does_not_stop_the_next() -> None:
    socket = await open_socket()
    layer = get_channel_layer()
    await layer.group_send(EVERYONE, {"type": "push", "message": {"data": {1, 2}}})  # a set

    await database_sync_to_async(socket_broadcast)(message=NOTICE)

    assert await socket.receive_json_from(timeout=2) == NOTICE
    await socket.disconnect()
