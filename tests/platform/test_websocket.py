"""The real ASGI application: the socket is authenticated and joined to the user's group."""

import logging

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client
from prometheus_client import REGISTRY

from collabhub.asgi import application
from feed.consumers import CLOSE_UNAUTHENTICATED, user_group
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]


def session_headers() -> tuple[list[tuple[bytes, bytes]], int]:
    """A signed-in session cookie. Run through database_sync_to_async, which closes the
    worker thread's connection afterwards (or the test database could not be dropped)."""
    user = UserFactory()
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    return [*HEADERS, (b"cookie", cookie)], user.pk


async def test_anonymous_socket_is_refused_with_4401() -> None:
    communicator = WebsocketCommunicator(application, "/ws/", headers=HEADERS)

    connected, code = await communicator.connect()

    assert connected is False
    assert code == CLOSE_UNAUTHENTICATED


async def test_foreign_origin_is_refused() -> None:
    headers, _ = await database_sync_to_async(session_headers)()
    headers = [(k, v) for k, v in headers if k != b"origin"] + [
        (b"origin", b"https://evil.example")
    ]
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)

    connected, _ = await communicator.connect()

    assert connected is False


def open_sockets() -> float:
    return REGISTRY.get_sample_value("collabhub_websocket_connections") or 0.0


async def test_signed_in_socket_answers_ping_and_receives_group_pushes() -> None:
    headers, user_id = await database_sync_to_async(session_headers)()
    before = open_sockets()
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected is True
    assert open_sockets() == before + 1

    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from() == {"type": "pong"}

    message = {"type": "notification", "id": 1, "data": {"text": "hello"}}
    await get_channel_layer().group_send(user_group(user_id), {"type": "push", "message": message})
    assert await communicator.receive_json_from() == message

    await communicator.send_json_to({"type": "nonsense"})
    reply = await communicator.receive_json_from()
    assert reply == {"type": "error", "data": {"code": "unknown_message_type"}}

    await communicator.send_to(text_data="{not json")
    reply = await communicator.receive_json_from()
    assert reply == {"type": "error", "data": {"code": "invalid_json"}}
    await communicator.disconnect()
    assert open_sockets() == before


async def test_disconnected_socket_leaves_the_user_group() -> None:
    headers, user_id = await database_sync_to_async(session_headers)()
    first = WebsocketCommunicator(application, "/ws/", headers=headers)
    second = WebsocketCommunicator(application, "/ws/", headers=headers)
    assert (await first.connect())[0] and (await second.connect())[0]

    await first.disconnect()
    message = {"type": "notification", "id": 2, "data": {}}
    await get_channel_layer().group_send(user_group(user_id), {"type": "push", "message": message})

    assert await second.receive_json_from() == message
    layer = get_channel_layer()
    if hasattr(layer, "groups"):  # the in-memory layer exposes its membership
        assert len(layer.groups.get(user_group(user_id), {})) == 1
    await second.disconnect()


async def test_each_connection_has_an_id_on_every_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    headers, user_id = await database_sync_to_async(session_headers)()
    caplog.set_level(logging.INFO, logger="collabhub.websocket")
    first = WebsocketCommunicator(application, "/ws/", headers=headers)
    second = WebsocketCommunicator(application, "/ws/", headers=headers)
    await first.connect()
    await second.connect()

    await first.send_json_to({"type": "ping"})
    await first.receive_json_from()
    await first.disconnect()
    await second.disconnect()

    records = [r for r in caplog.records if r.name == "collabhub.websocket"]
    messages = [r.getMessage() for r in records]
    assert messages.count("websocket connected") == 2
    assert "websocket message" in messages
    assert messages.count("websocket disconnected") == 2
    ids = {r.request_id for r in records}
    assert len(ids) == 2 and all(i.startswith("ws-") for i in ids)
    first_id = next(r.request_id for r in records if r.getMessage() == "websocket message")
    assert [r.getMessage() for r in records if r.request_id == first_id] == [
        "websocket connected",
        "websocket message",
        "websocket disconnected",
    ]
    assert {r.user_id for r in records} == {user_id}
