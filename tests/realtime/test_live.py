"""Live groups against the real ASGI application: staff's sockets join the ``analytics``
group, a group's publisher runs while (and only while) a socket watches it, one process
publishes per period, and the open sockets are counted over processes."""

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.cache import cache

from accounts.models import User
from collabhub.asgi import application
from realtime import live
from realtime.messages import ANALYTICS_GROUP, socket_message
from realtime.services import socket_group_push, ticket_issue
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]


@database_sync_to_async
def make_user(**kwargs: Any) -> User:
    return UserFactory(**kwargs)


async def open_socket(user: User) -> WebsocketCommunicator:
    ticket = ticket_issue(user_id=user.pk)
    socket = WebsocketCommunicator(application, f"/ws/?ticket={ticket}", headers=HEADERS)
    connected, _ = await socket.connect()
    assert connected
    return socket


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
async def test_staff_sockets_get_what_is_pushed_to_the_analytics_group_and_others_do_not() -> None:
    staff, member = await make_user(is_staff=True), await make_user()
    staff_socket, member_socket = await open_socket(staff), await open_socket(member)

    message = socket_message(type="system_alert", id=None, data={"code": "health"})
    await database_sync_to_async(socket_group_push)(group=ANALYTICS_GROUP, message=message)

    assert await staff_socket.receive_json_from(timeout=2) == message
    assert await member_socket.receive_nothing(timeout=0.2)
    await staff_socket.disconnect()
    await member_socket.disconnect()


async def test_a_groups_publisher_runs_while_a_socket_watches_and_stops_after(
    ticking: list[str],
) -> None:
    member = await make_user()
    member_socket = await open_socket(member)
    await asyncio.sleep(0.2)
    assert ticking == [], "nobody who may watch is connected"

    staff = await make_user(is_staff=True)
    first, second = await open_socket(staff), await open_socket(staff)
    await asyncio.sleep(0.3)
    assert len(ticking) >= 2
    # Two sockets in one process: one publisher, not two (at most one run per 50 ms).
    assert len(ticking) <= 8

    await first.disconnect()
    runs = len(ticking)
    await asyncio.sleep(0.2)
    assert len(ticking) > runs, "a socket still watches"

    await second.disconnect()
    await asyncio.sleep(0.1)  # a run under way finishes
    runs = len(ticking)
    await asyncio.sleep(0.3)
    assert len(ticking) == runs, "nobody watches: no more runs"
    await member_socket.disconnect()


def test_one_process_publishes_per_period() -> None:
    runs: list[str] = []
    group = live.LiveGroup("ticks", lambda user: True, lambda: runs.append("run"), every=30)
    # Another process took this period's lease first.
    cache.add("realtime:live:ticks", "another-process", timeout=30)
    assert live._lease(group) is False
    cache.delete("realtime:live:ticks")
    assert live._lease(group) is True
    assert live._lease(group) is False  # until the period ends


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


def test_the_count_is_unknown_without_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get", down)
    assert live.sockets_open_count() is None


@pytest.mark.usefixtures("quiet_analytics")
async def test_a_socket_whose_user_lost_staff_rights_stops_getting_the_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from realtime import consumers

    staff = await make_user(is_staff=True)
    socket = await open_socket(staff)
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
