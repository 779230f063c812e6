"""Two people, two sockets, the real ASGI application: a connection request seen live,
accepted, messages exchanged live; one goes away and, on resume, gets exactly what it missed."""

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from accounts.models import User
from collabhub.asgi import application
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]


@database_sync_to_async
def call(user: User, method: str, path: str, data: dict | None = None, request_id: str = "") -> Any:
    client = APIClient()
    client.force_authenticate(user)
    headers = {"HTTP_X_REQUEST_ID": request_id} if request_id else {}
    return getattr(client, method)(path, data, format="json", **headers)


async def socket_for(user: User) -> WebsocketCommunicator:
    ticket = (await call(user, "post", "/api/v1/realtime/ticket/")).json()["ticket"]
    communicator = WebsocketCommunicator(application, f"/ws/?ticket={ticket}", headers=HEADERS)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def receive(socket: WebsocketCommunicator, *wanted: str) -> dict[str, list[dict]]:
    """Messages until one of each ``wanted`` type has arrived (feed events may come too)."""
    by_type: dict[str, list[dict]] = {}
    while not all(kind in by_type for kind in wanted):
        message = await socket.receive_json_from(timeout=5)
        by_type.setdefault(message["type"], []).append(message)
    return by_type


async def test_two_people_connect_and_talk_live_and_resume_after_a_gap() -> None:
    ada = await database_sync_to_async(UserFactory)(name="Ada")
    grace = await database_sync_to_async(UserFactory)(name="Grace")
    ada_socket, grace_socket = await socket_for(ada), await socket_for(grace)

    asked = await call(ada, "post", "/api/v1/connections/", {"user_id": grace.pk})
    assert asked.status_code == 201
    seen = await receive(grace_socket, "connection", "notification")
    assert seen["connection"][0]["data"]["status"] == "pending"
    assert (
        seen["notification"][0]["data"]["event"]["description"] == "Ada asked to connect with Grace"
    )
    assert (await receive(ada_socket, "connection"))["connection"][0]["data"]["status"] == "pending"

    accepted = await call(grace, "post", f"/api/v1/connections/{asked.json()['id']}/accept/")
    assert accepted.status_code == 200
    seen = await receive(ada_socket, "connection", "notification")
    assert seen["connection"][0]["data"]["status"] == "accepted"
    assert seen["notification"][0]["data"]["event"]["action_type"] == "connection_made"
    await receive(grace_socket, "connection")  # her own copy of the accepted connection

    sent = await call(ada, "post", f"/api/v1/conversations/{grace.pk}/messages/", {"body": "hi"})
    assert sent.status_code == 201
    seen = await receive(grace_socket, "message", "notification")
    assert seen["message"][0]["data"]["body"] == "hi"
    last_seen = seen["notification"][0]["id"]
    last_message = seen["message"][0]["id"]
    await receive(ada_socket, "message")  # the sender's other tabs see it too
    await grace_socket.disconnect()

    for body in ("while you were away", "and again"):
        await call(ada, "post", f"/api/v1/conversations/{grace.pk}/messages/", {"body": body})

    grace_socket = await socket_for(grace)
    await grace_socket.send_json_to({"type": "resume", "after": last_seen})
    missed = [await grace_socket.receive_json_from(timeout=5) for _ in range(3)]
    assert [m["type"] for m in missed] == ["notification", "notification", "resumed"]
    assert missed[0]["id"] < missed[1]["id"]
    assert all(m["data"]["event"]["action_type"] == "message_sent" for m in missed[:2])
    assert missed[2]["data"] == {
        "count": 2,
        "more": False,
        "counts": {"notification": 2},
        "refetch": ["connections"],
    }
    assert await grace_socket.receive_nothing(timeout=0.3)

    # The messages themselves are replayed too, when asked, after the last one seen.
    await grace_socket.send_json_to(
        {"type": "resume", "after": missed[1]["id"], "messages_after": last_message}
    )
    replayed = [await grace_socket.receive_json_from(timeout=5) for _ in range(3)]
    assert [(m["type"], m["data"].get("body")) for m in replayed[:2]] == [
        ("message", "while you were away"),
        ("message", "and again"),
    ]
    assert replayed[2]["data"]["counts"] == {"notification": 0, "message": 2}
    history = await call(grace, "get", f"/api/v1/conversations/{ada.pk}/messages/")
    assert [m["body"] for m in history.json()["results"]] == [
        "hi",
        "while you were away",
        "and again",
    ]
    await grace_socket.disconnect()
    await ada_socket.disconnect()


async def test_connection_and_message_pushes_carry_the_request_that_caused_them() -> None:
    """Like notifications and feed items, a push names its request (`X-Request-ID`), so a
    client's report and the server's log lines meet."""
    ada = await database_sync_to_async(UserFactory)(name="Ada")
    grace = await database_sync_to_async(UserFactory)(name="Grace")
    grace_socket = await socket_for(grace)

    asked = await call(ada, "post", "/api/v1/connections/", {"user_id": grace.pk}, "req-ask-1")
    seen = await receive(grace_socket, "connection", "notification")
    assert seen["connection"][0]["request_id"] == "req-ask-1"
    assert seen["notification"][0]["request_id"] == "req-ask-1"
    await call(grace, "post", f"/api/v1/connections/{asked.json()['id']}/accept/")
    await receive(grace_socket, "connection")

    path = f"/api/v1/conversations/{grace.pk}/messages/"
    await call(ada, "post", path, {"body": "hi"}, "req-msg-2")
    message = (await receive(grace_socket, "message"))["message"][0]

    assert message["request_id"] == "req-msg-2"
    assert set(message) == {"type", "id", "data", "request_id"}
    await grace_socket.disconnect()
