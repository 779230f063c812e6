"""Live groups against the real ASGI application: staff's sockets may subscribe to the
``analytics`` group (nobody else's), a group's publisher runs while (and only while) a socket
is subscribed, one process holds the lease to publish, and the open sockets are counted over
processes."""

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.cache import cache

from accounts.models import User
from collabhub.asgi import application
from observability.breaker import breaker
from realtime import live
from realtime.messages import ANALYTICS_GROUP, socket_message
from realtime.services import socket_group_push, ticket_issue
from tests.accounts.factories import UserFactory
from tests.support import reply_of

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]


@database_sync_to_async
def make_user(**kwargs: Any) -> User:
    return UserFactory(**kwargs)


async def open_socket(user: User, subscribe: str | None = None) -> WebsocketCommunicator:
    ticket = await database_sync_to_async(ticket_issue)(user_id=user.pk)
    socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}", headers=HEADERS)
    connected, _ = await socket.connect()
    assert connected
    if subscribe:
        await socket.send_json_to({"type": "subscribe", "group": subscribe})
        reply = reply_of(await socket.receive_json_from(timeout=2))
        assert reply == {"type": "subscribed", "data": {"group": subscribe}}, reply
    return socket


async def eventually(condition: Any, timeout: float = 3.0) -> bool:
    """Poll ``condition()`` until true (no fixed sleep to race a busy machine)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


@pytest.fixture
def quiet_analytics() -> Iterator[None]:
    """The analytics group without its periodic publisher: only what a test pushes."""
    registered = live.live_groups[ANALYTICS_GROUP]
    live.live_groups[ANALYTICS_GROUP] = live.LiveGroup(ANALYTICS_GROUP, registered.admits)
    yield
    live.live_groups[ANALYTICS_GROUP] = registered


@pytest.fixture
def ticking() -> Iterator[list[str]]:
    """A live group for staff whose publisher notes each run, every 50 ms."""
    runs: list[str] = []
    live.live_group_register(
        name="ticks", admits=lambda user: user.is_staff, publish=lambda: runs.append("run"),
        every=0.05,
    )  # fmt: skip
    yield runs
    del live.live_groups["ticks"]


@pytest.mark.usefixtures("quiet_analytics")
async def test_staff_may_subscribe_to_the_analytics_group_and_nobody_else() -> None:
    staff, member = await make_user(is_staff=True), await make_user()
    staff_socket = await open_socket(staff, subscribe=ANALYTICS_GROUP)
    member_socket = await open_socket(member)

    await member_socket.send_json_to({"type": "subscribe", "group": ANALYTICS_GROUP})
    refused = reply_of(await member_socket.receive_json_from(timeout=2))
    await member_socket.send_json_to({"type": "subscribe", "group": "user.1"})
    unknown = reply_of(await member_socket.receive_json_from(timeout=2))
    message = socket_message(type="system_alert", id=None, data={"code": "health"})
    await database_sync_to_async(socket_group_push)(group=ANALYTICS_GROUP, message=message)

    assert refused == {"type": "error", "data": {"code": "forbidden_group"}}
    assert unknown == {"type": "error", "data": {"code": "unknown_group"}}
    assert await staff_socket.receive_json_from(timeout=2) == message
    assert await member_socket.receive_nothing(timeout=0.2)
    await staff_socket.disconnect()
    await member_socket.disconnect()


@pytest.mark.usefixtures("quiet_analytics")
async def test_a_staff_socket_that_did_not_subscribe_gets_nothing_of_the_group() -> None:
    staff_socket = await open_socket(await make_user(is_staff=True))
    message = socket_message(type="metric_update", id=None, data={})
    await database_sync_to_async(socket_group_push)(group=ANALYTICS_GROUP, message=message)
    assert await staff_socket.receive_nothing(timeout=0.2)
    await staff_socket.disconnect()


async def test_a_groups_publisher_runs_while_a_socket_is_subscribed_and_stops_after(
    ticking: list[str],
) -> None:
    staff = await make_user(is_staff=True)
    idle = await open_socket(staff)  # connected, not subscribed
    await asyncio.sleep(0.2)
    assert ticking == [], "nobody is subscribed"

    first, second = await open_socket(staff, "ticks"), await open_socket(staff, "ticks")
    assert await eventually(lambda: len(ticking) >= 2)

    await first.disconnect()
    runs = len(ticking)
    assert await eventually(lambda: len(ticking) > runs), "a socket is still subscribed"

    await second.disconnect()
    await asyncio.sleep(0.1)  # a run under way finishes
    runs = len(ticking)
    await asyncio.sleep(0.3)
    assert len(ticking) == runs, "nobody is subscribed: no more runs"
    await idle.disconnect()


async def test_two_sockets_of_one_process_share_one_publisher(
    ticking: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "_lease", lambda group: True)  # only the process's own rule
    staff = await make_user(is_staff=True)
    sockets = [await open_socket(staff, "ticks") for _ in range(3)]
    ticking.clear()
    await asyncio.sleep(0.5)
    # One task: about 10 runs in 0.5 s at 50 ms; one task per socket would make about 30.
    assert 3 <= len(ticking) <= 14, len(ticking)
    for socket in sockets:
        await socket.disconnect()


def test_the_process_holding_the_lease_keeps_publishing_and_another_takes_over_after() -> None:
    group = live.LiveGroup("ticks", lambda user: True, lambda: None, every=30)
    key = "realtime:live:ticks"
    # Another process holds it.
    cache.set(key, "realtime:sockets:other:1", timeout=90)
    assert live._lease(group) is False
    # It stopped renewing: its lease ran out; this process takes it, then renews it.
    cache.delete(key)
    assert live._lease(group) is True
    assert live._lease(group) is True
    assert cache.get(key) == live.PROCESS_KEY


def test_without_the_cache_every_process_publishes() -> None:
    group = live.LiveGroup("ticks", lambda user: True, lambda: None, every=30)
    cache.set("realtime:live:ticks", "realtime:sockets:other:1", timeout=90)
    assert live._lease(group) is False
    cache.delete("realtime:live:ticks")
    breaker("redis").failure(ConnectionError("redis down"))  # what our cache does then
    try:
        assert live._lease(group) is True
        assert live.sockets_open_count() is None  # unknown, not 0
    finally:
        breaker("redis").reset()


async def test_open_sockets_are_counted_over_processes() -> None:
    # Another process reported 3 sockets; one that stopped reporting counts no more.
    cache.set("realtime:sockets:other:1", 3, timeout=60)
    cache.set(live.PROCESSES_KEY, ["realtime:sockets:other:1", "realtime:sockets:gone:2"])

    user = await make_user()
    first, second = await open_socket(user), await open_socket(user)
    for _ in range(50):
        if live.sockets_open_count() == 5:
            break
        await asyncio.sleep(0.02)
    assert live.sockets_open_count() == 5
    assert "realtime:sockets:gone:2" not in cache.get(live.PROCESSES_KEY)
    await first.disconnect()
    await second.disconnect()


@pytest.mark.usefixtures("quiet_analytics")
async def test_a_socket_whose_user_lost_staff_rights_stops_getting_the_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from realtime import consumers

    staff = await make_user(is_staff=True)
    socket = await open_socket(staff, ANALYTICS_GROUP)
    message = socket_message(type="metric_update", id=None, data={"n": 1})
    push = database_sync_to_async(socket_group_push)

    staff.is_staff = False
    await database_sync_to_async(staff.save)()
    await push(group=ANALYTICS_GROUP, message=message)
    assert await socket.receive_json_from(timeout=2) == message  # admission trusted a while

    monkeypatch.setattr(consumers, "LIVE_RECHECK", 0.0)  # the while is over
    await push(group=ANALYTICS_GROUP, message=message)
    assert await socket.receive_nothing(timeout=0.3)
    await push(group=ANALYTICS_GROUP, message=message)  # and it left the group
    assert await socket.receive_nothing(timeout=0.3)
    await socket.send_json_to({"type": "ping"})
    assert (await socket.receive_json_from(timeout=2))["type"] == "pong"  # the socket lives on
    await socket.disconnect()


@pytest.mark.usefixtures("quiet_analytics")
async def test_a_database_failing_during_the_recheck_costs_a_message_not_the_socket(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.db import OperationalError

    from realtime import consumers

    socket = await open_socket(await make_user(is_staff=True), ANALYTICS_GROUP)
    monkeypatch.setattr(consumers, "LIVE_RECHECK", 0.0)

    async def failing(user_id: int) -> tuple[str, ...]:
        raise OperationalError("database down")

    monkeypatch.setattr(consumers, "_live_groups_now", failing)
    message = socket_message(type="metric_update", id=None, data={"n": 1})
    await database_sync_to_async(socket_group_push)(group=ANALYTICS_GROUP, message=message)
    assert await socket.receive_nothing(timeout=0.3)

    monkeypatch.undo()  # the database is back
    monkeypatch.setattr(consumers, "LIVE_RECHECK", 0.0)
    await database_sync_to_async(socket_group_push)(group=ANALYTICS_GROUP, message=message)
    assert await socket.receive_json_from(timeout=2) == message
    await socket.disconnect()
