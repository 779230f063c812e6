"""Signing out reaches the sockets too: a ticket names the sign-in session that asked for it,
a signed-out session's tickets are refused, and its open sockets are told and closed (the
real ASGI application, a real commit). Other sessions' sockets stay open."""

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from collabhub.asgi import application
from realtime.consumers import CLOSE_UNAUTHENTICATED
from tests.accounts.factories import PASSWORD, UserFactory
from tests.support import refusal_code, reply_of

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = [(b"host", b"127.0.0.1:8000")]


@database_sync_to_async
def signed_in() -> tuple[Any, dict[str, str]]:
    """A new person and the tokens of one sign-in."""
    user = UserFactory()
    response = APIClient().post(
        "/api/v1/auth/login/", {"email": user.email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    return user, response.json()


@database_sync_to_async
def sign_in_again(user: Any) -> dict[str, str]:
    response = APIClient().post(
        "/api/v1/auth/login/", {"email": user.email, "password": PASSWORD}, format="json"
    )
    return response.json()


@database_sync_to_async
def post(path: str, body: dict[str, Any], access: str | None = None) -> Any:
    client = APIClient()
    if access:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.post(path, body, format="json")


async def ticket(tokens: dict[str, str]) -> str:
    response = await post("/api/v1/realtime/ticket/", {}, tokens["access"])
    assert response.status_code == 201
    return str(response.json()["ticket"])


async def open_socket(tokens: dict[str, str]) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, f"/ws/?ticket={await ticket(tokens)}", HEADERS)
    connected, _ = await socket.connect()
    assert connected
    return socket


async def still_open(socket: WebsocketCommunicator) -> bool:
    await socket.send_json_to({"type": "ping"})
    return reply_of(await socket.receive_json_from(timeout=2)) == {"type": "pong"}


async def closed_because_the_session_ended(socket: WebsocketCommunicator) -> bool:
    told = await socket.receive_json_from(timeout=2)
    closing = await socket.receive_output(timeout=2)
    return reply_of(told) == {"type": "session_ended"} and closing == {
        "type": "websocket.close",
        "code": CLOSE_UNAUTHENTICATED,
    }


async def test_a_ticket_of_a_signed_out_session_is_refused() -> None:
    _, tokens = await signed_in()
    unused = await ticket(tokens)

    assert (await post("/api/v1/auth/logout/", {"refresh": tokens["refresh"]})).status_code == 204

    refused = WebsocketCommunicator(application, f"/ws/?ticket={unused}", HEADERS)
    assert await refusal_code(refused) == CLOSE_UNAUTHENTICATED


async def test_signing_out_closes_that_sessions_sockets_only() -> None:
    user, phone = await signed_in()
    laptop = await sign_in_again(user)
    phone_socket, laptop_socket = await open_socket(phone), await open_socket(laptop)

    assert (await post("/api/v1/auth/logout/", {"refresh": phone["refresh"]})).status_code == 204

    assert await closed_because_the_session_ended(phone_socket)
    assert await still_open(laptop_socket)
    await laptop_socket.disconnect()


async def test_a_password_change_closes_every_socket_of_the_person() -> None:
    user, phone = await signed_in()
    laptop = await sign_in_again(user)
    other_person = (await signed_in())[1]
    sockets = [await open_socket(tokens) for tokens in (phone, laptop, other_person)]

    changed = await post(
        "/api/v1/auth/password/",
        {"old_password": PASSWORD, "new_password": "a-Much-longer-passphrase-2026"},
        phone["access"],
    )

    assert changed.status_code == 200
    assert await closed_because_the_session_ended(sockets[0])
    assert await closed_because_the_session_ended(sockets[1])
    assert await still_open(sockets[2])
    await sockets[2].disconnect()
