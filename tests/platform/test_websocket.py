"""The real ASGI application: the socket is authenticated and joined to the user's group."""

import logging

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client
from prometheus_client import REGISTRY

from collabhub.asgi import application
from realtime.consumers import (
    CLOSE_FORBIDDEN_ORIGIN,
    CLOSE_UNAUTHENTICATED,
    CLOSE_UNKNOWN_PATH,
)
from realtime.messages import user_group
from tests.accounts.factories import UserFactory
from tests.conftest import Lines
from tests.support import refusal_code, reply_of

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


async def test_anonymous_socket_is_accepted_then_closed_with_4401(log_lines: Lines) -> None:
    communicator = WebsocketCommunicator(application, "/ws/", headers=HEADERS)

    assert await refusal_code(communicator) == CLOSE_UNAUTHENTICATED
    refused = [line for line in log_lines() if line["message"] == "websocket refused"]
    assert [(line["level"], line["reason"]) for line in refused] == [("INFO", "unauthenticated")]


def with_origin(headers: list[tuple[bytes, bytes]], origin: bytes) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in headers if k != b"origin"] + [(b"origin", origin)]


@pytest.mark.parametrize(
    "origin",
    [
        b"https://evil.example",
        b"http://127.0.0.1:9999",  # our host, another port: another origin
        b"https://127.0.0.1:8000",  # another scheme
        b"http://127.0.0.1:8000.evil.example",
        b"null",
        b"not a url \xff",
    ],
)
async def test_a_session_socket_from_a_foreign_origin_is_closed_with_4403(
    origin: bytes, log_lines: Lines
) -> None:
    headers, _ = await database_sync_to_async(session_headers)()
    communicator = WebsocketCommunicator(application, "/ws/", headers=with_origin(headers, origin))

    assert await refusal_code(communicator) == CLOSE_FORBIDDEN_ORIGIN
    refused = [line for line in log_lines() if line["message"] == "websocket refused"]
    assert [(line["level"], line["reason"]) for line in refused] == [("INFO", "foreign_origin")]


@pytest.mark.parametrize(
    "origin", [b"http://127.0.0.1:8000", b"https://app.example", b"https://app.example:443"]
)
async def test_a_session_socket_from_an_allowed_origin_connects(origin: bytes, settings) -> None:
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example"]
    headers, _ = await database_sync_to_async(session_headers)()
    communicator = WebsocketCommunicator(application, "/ws/", headers=with_origin(headers, origin))

    connected, _ = await communicator.connect()

    assert connected is True
    await communicator.send_json_to({"type": "ping"})
    assert reply_of(await communicator.receive_json_from()) == {"type": "pong"}
    await communicator.disconnect()


async def test_behind_a_tls_proxy_the_https_page_is_the_sockets_own_origin(settings) -> None:
    """Daphne's scope has no scheme behind a proxy: the trusted proxy's header says TLS, as
    for Django's request.is_secure()."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    headers, _ = await database_sync_to_async(session_headers)()
    page = with_origin(headers, b"https://127.0.0.1:8000")

    behind_tls = WebsocketCommunicator(
        application, "/ws/", headers=[*page, (b"x-forwarded-proto", b"https")]
    )
    connected, _ = await behind_tls.connect()
    assert connected is True
    await behind_tls.disconnect()
    plain = WebsocketCommunicator(application, "/ws/", headers=page)  # no TLS: another origin
    assert await refusal_code(plain) == CLOSE_FORBIDDEN_ORIGIN


async def test_a_session_socket_without_origin_connects() -> None:
    """Only browsers send the cookie on their own: a client that sends no Origin is not one."""
    headers, _ = await database_sync_to_async(session_headers)()
    headers = [(k, v) for k, v in headers if k != b"origin"]
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)

    connected, _ = await communicator.connect()

    assert connected is True
    await communicator.disconnect()


@pytest.mark.parametrize("path", ["/ws/analytics/x/", "/", "/ws", "/api/v1/startups/"])
async def test_an_unknown_socket_path_is_closed_with_4404_not_an_error(
    path: str, log_lines: Lines
) -> None:
    communicator = WebsocketCommunicator(application, path, headers=HEADERS)

    assert await refusal_code(communicator) == CLOSE_UNKNOWN_PATH
    lines = log_lines()
    assert not [line for line in lines if line["level"] in ("ERROR", "CRITICAL")]
    assert [line["reason"] for line in lines if line["message"] == "websocket refused"] == [
        "unknown_path"
    ]


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
    assert reply_of(await communicator.receive_json_from()) == {"type": "pong"}

    message = {"type": "notification", "id": 1, "data": {"text": "hello"}}
    await get_channel_layer().group_send(user_group(user_id), {"type": "push", "message": message})
    assert await communicator.receive_json_from() == message

    await communicator.send_json_to({"type": "nonsense"})
    reply = await communicator.receive_json_from()
    assert reply_of(reply) == {"type": "error", "data": {"code": "unknown_message_type"}}

    await communicator.send_to(text_data="{not json")
    reply = await communicator.receive_json_from()
    assert reply_of(reply) == {"type": "error", "data": {"code": "invalid_json"}}
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


async def test_signing_a_browser_out_closes_the_sockets_its_cookie_opened() -> None:
    """Every tab of a shared computer stops getting private pushes at sign-out; a socket of
    the same person opened elsewhere (a ticket: another device) stays."""
    from realtime.services import ticket_issue

    def browser_signed_in() -> tuple[Client, list[tuple[bytes, bytes]], int]:
        user = UserFactory()
        client = Client(enforce_csrf_checks=True)
        token = client.get("/api/v1/auth/session/").json()["csrf_token"]
        client.force_login(user)
        cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
        client.csrf = token  # type: ignore[attr-defined]
        return client, [*HEADERS, (b"cookie", cookie)], user.pk

    client, headers, user_id = await database_sync_to_async(browser_signed_in)()
    tab = WebsocketCommunicator(application, "/ws/", headers=headers)
    assert (await tab.connect())[0]
    ticket = await database_sync_to_async(ticket_issue)(user_id=user_id)
    phone = WebsocketCommunicator(application, f"/ws/?ticket={ticket}", headers=HEADERS)
    assert (await phone.connect())[0]

    def sign_out() -> int:
        token = client.get("/api/v1/auth/session/").json()["csrf_token"]
        return client.delete("/api/v1/auth/session/", HTTP_X_CSRFTOKEN=token).status_code

    assert await database_sync_to_async(sign_out)() == 204

    assert reply_of(await tab.receive_json_from(timeout=2)) == {"type": "session_ended"}
    assert (await tab.receive_output(timeout=2))["code"] == CLOSE_UNAUTHENTICATED
    await phone.send_json_to({"type": "ping"})
    assert reply_of(await phone.receive_json_from(timeout=2)) == {"type": "pong"}
    await phone.disconnect()
