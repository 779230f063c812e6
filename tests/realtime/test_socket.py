"""The socket against the real ASGI application: tickets, live notifications after commit,
resume without loss."""

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from accounts.models import User
from collabhub.asgi import application
from feed.models import Notification
from realtime.consumers import CLOSE_UNAUTHENTICATED
from realtime.messages import user_group
from tests.accounts.factories import UserFactory
from tests.conftest import Lines
from tests.support import refusal_code, reply_of

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]


@database_sync_to_async
def make_user(**kwargs: Any) -> User:
    return UserFactory(**kwargs)


@database_sync_to_async
def api_post(user: User, path: str, **headers: str) -> Any:
    client = APIClient()
    client.force_authenticate(user)
    return client.post(path, **headers)


async def ticket_for(user: User) -> str:
    response = await api_post(user, "/api/v1/realtime/ticket/")
    assert response.status_code == 201
    body = response.json()
    assert body["url"] == f"/ws/?ticket={body['ticket']}"
    return body["ticket"]


async def connect(ticket: str, headers: list | None = None) -> tuple[WebsocketCommunicator, Any]:
    communicator = WebsocketCommunicator(
        application, f"/ws/?ticket={ticket}", headers=HEADERS if headers is None else headers
    )
    connected, code = await communicator.connect()
    return communicator, (connected, code)


async def refused(ticket: str) -> int:
    return await refusal_code(
        WebsocketCommunicator(application, f"/ws/?ticket={ticket}", headers=HEADERS)
    )


async def test_a_ticket_opens_one_socket_once() -> None:
    user = await make_user()
    ticket = await ticket_for(user)

    socket, (connected, _) = await connect(ticket)
    assert connected is True
    await socket.send_json_to({"type": "ping"})
    assert reply_of(await socket.receive_json_from()) == {"type": "pong"}

    assert await refused(ticket) == CLOSE_UNAUTHENTICATED
    await socket.disconnect()


@pytest.mark.parametrize("ticket", ["", "forged-ticket", "x" * 500, "%00", "%ED%A0%80"])
async def test_missing_or_forged_tickets_are_refused(ticket: str) -> None:
    assert await refused(ticket) == CLOSE_UNAUTHENTICATED


async def test_a_ticket_signed_with_another_key_or_for_another_user_shape_is_refused() -> None:
    from django.core import signing

    from realtime.services import TICKET_SALT

    user = await make_user()
    other_key = signing.dumps([user.pk, "n"], key="not-our-secret", salt=TICKET_SALT)
    not_a_user = signing.dumps(["1", "n"], salt=TICKET_SALT)
    assert await refused(other_key) == CLOSE_UNAUTHENTICATED
    assert await refused(not_a_user) == CLOSE_UNAUTHENTICATED


async def test_a_ticket_works_without_the_cache(settings) -> None:
    """Tickets are signed and spent in the database: a cache that forgets everything (Redis
    down) neither refuses a fresh ticket nor lets a spent one in again."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    ticket = await ticket_for(await make_user())

    socket, (connected, _) = await connect(ticket)
    assert connected is True
    assert await refused(ticket) == CLOSE_UNAUTHENTICATED
    await socket.disconnect()


async def test_an_expired_ticket_is_refused(settings) -> None:
    settings.REALTIME_TICKET_TTL = 1
    ticket = await ticket_for(await make_user())
    await asyncio.sleep(1.3)
    assert await refused(ticket) == CLOSE_UNAUTHENTICATED


@pytest.mark.parametrize(
    "headers",
    [
        [],  # a script: no Origin at all
        [(b"host", b"127.0.0.1:8000")],
        [(b"origin", b"https://app.other.example"), (b"host", b"127.0.0.1:8000")],
    ],
)
async def test_a_ticket_is_the_credential_whatever_the_origin(headers: list) -> None:
    """The Origin check protects cookies; a ticket client (a script, another origin's app)
    proves itself with the ticket."""
    ticket = await ticket_for(await make_user())
    socket, (connected, _) = await connect(ticket, headers)
    assert connected is True
    await socket.send_json_to({"type": "ping"})
    assert reply_of(await socket.receive_json_from()) == {"type": "pong"}
    await socket.disconnect()


async def test_a_ticket_needs_a_signed_in_user() -> None:
    response = await database_sync_to_async(APIClient().post)("/api/v1/realtime/ticket/")
    assert response.status_code == 401


async def test_a_notification_arrives_after_the_api_call_commits(log_lines: Lines) -> None:
    ada, grace = await make_user(name="Ada"), await make_user(name="Grace")
    ticket = await ticket_for(ada)
    socket, (connected, _) = await connect(ticket)
    assert connected

    response = await api_post(
        grace, f"/api/v1/users/{ada.pk}/follow/", HTTP_X_REQUEST_ID="req-ws-1"
    )
    assert response.status_code == 201

    message = await socket.receive_json_from(timeout=5)
    assert message["type"] == "notification"
    assert message["request_id"] == "req-ws-1"  # the request that caused it
    assert message["data"]["event"]["description"] == "Grace followed Ada"
    stored = await database_sync_to_async(Notification.objects.get)(recipient=ada)
    assert message["id"] == stored.pk
    await socket.disconnect()
    # The ticket is a credential: it is in no log line.
    assert ticket not in "\n".join(str(line) for line in log_lines())


async def test_resume_sends_exactly_what_was_missed_in_order_then_live_ones() -> None:
    ada = await make_user(name="Ada")
    followers = [await make_user(name=f"F{i}") for i in range(6)]
    for fan in followers[:5]:  # five notifications while Ada is away
        assert (await api_post(fan, f"/api/v1/users/{ada.pk}/follow/")).status_code == 201
    ids = await database_sync_to_async(
        lambda: list(
            Notification.objects.filter(recipient=ada).order_by("pk").values_list("pk", flat=True)
        )
    )()
    assert len(ids) == 5

    socket, (connected, _) = await connect(await ticket_for(ada))
    assert connected
    await socket.send_json_to({"type": "resume", "after": ids[1]})
    received = [await socket.receive_json_from() for _ in range(3)]
    assert [m["id"] for m in received] == ids[2:]
    assert reply_of(await socket.receive_json_from()) == {
        "type": "resumed",
        "data": {
            "count": 3,
            "more": False,
            "counts": {"notification": 3},
            "refetch": ["connections"],
        },
    }

    # A late live push of one already sent is dropped; a new one arrives once.
    await get_channel_layer().group_send(
        user_group(ada.pk), {"type": "push", "message": received[-1]}
    )
    assert (await api_post(followers[5], f"/api/v1/users/{ada.pk}/follow/")).status_code == 201
    live = await socket.receive_json_from(timeout=5)
    assert live["id"] > ids[-1]
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


async def test_a_bad_resume_is_an_error_message_not_a_crash() -> None:
    socket, _ = await connect(await ticket_for(await make_user()))
    for after in ["7", -1, None, True]:
        await socket.send_json_to({"type": "resume", "after": after})
        assert reply_of(await socket.receive_json_from()) == {
            "type": "error",
            "data": {"code": "invalid_resume"},
        }
    await socket.disconnect()


async def test_a_broadcast_reaches_every_socket() -> None:
    from realtime.services import socket_broadcast

    sockets = [await connect(await ticket_for(await make_user())) for _ in range(3)]
    notice = {"type": "announcement", "data": {"text": "Maintenance at 22:00 UTC"}}
    await database_sync_to_async(socket_broadcast)(message=notice)
    for socket, _ in sockets:
        assert await socket.receive_json_from() == notice
        await socket.disconnect()


async def test_a_new_event_reaches_the_sockets_of_the_actors_followers() -> None:
    from startups import services as startup_services
    from tests.startups.factories import StartupFactory

    fan, stranger = await make_user(), await make_user()
    startup = await database_sync_to_async(StartupFactory)(name="Acme")
    follow = await api_post(fan, f"/api/v1/startups/{startup.pk}/follow/")
    assert follow.status_code == 201
    fan_socket, _ = await connect(await ticket_for(fan))
    stranger_socket, _ = await connect(await ticket_for(stranger))

    await database_sync_to_async(startup_services.opportunity_create)(
        startup=startup, by=startup.owner, data={"title": "Engineer", "kind": "full-time"}
    )

    received = [await fan_socket.receive_json_from(timeout=5) for _ in range(2)]
    by_type = {message["type"]: message for message in received}
    assert by_type["feed.event"]["data"]["description"].endswith("posted Engineer at Acme")
    assert by_type["notification"]["data"]["event"]["id"] == by_type["feed.event"]["id"]
    assert await stranger_socket.receive_nothing(timeout=0.3)  # not in their feed
    await fan_socket.disconnect()
    await stranger_socket.disconnect()


async def test_resume_replays_missed_feed_items_too() -> None:
    ada, grace = await make_user(name="Ada"), await make_user(name="Grace", role="founder")
    assert (await api_post(ada, f"/api/v1/users/{grace.pk}/follow/")).status_code == 201
    client = APIClient()
    client.force_authenticate(grace)
    for name in ("Acme", "Bolt"):  # two items of Ada's personal feed while she is away
        created = await database_sync_to_async(client.post)(
            "/api/v1/startups/", {"name": name, "industry": "ai"}, format="json"
        )
        assert created.status_code == 201

    socket, (connected, _) = await connect(await ticket_for(ada))
    assert connected
    await socket.send_json_to({"type": "resume", "after": 0, "feed_after": 0})
    received = [await socket.receive_json_from(timeout=5) for _ in range(3)]

    assert [(m["type"], m["data"]["description"]) for m in received[:2]] == [
        ("feed.event", "Grace created Acme"),
        ("feed.event", "Grace created Bolt"),
    ]
    assert received[2]["data"]["counts"] == {"notification": 0, "feed.event": 2}
    # Resuming after the last one replays nothing of that kind.
    await socket.send_json_to({"type": "resume", "after": 0, "feed_after": received[1]["id"]})
    assert (await socket.receive_json_from(timeout=5))["data"]["counts"]["feed.event"] == 0
    await socket.send_json_to({"type": "resume", "after": 0, "feed_after": "x"})
    assert (await socket.receive_json_from(timeout=5))["data"] == {"code": "invalid_resume"}
    await socket.disconnect()


async def test_a_frame_with_a_lone_surrogate_is_an_error_message_not_a_crash() -> None:
    socket, (connected, _) = await connect(await ticket_for(await make_user()))
    assert connected
    await socket.send_to(text_data='{"type": "\\ud800"}')
    assert reply_of(await socket.receive_json_from()) == {
        "type": "error",
        "data": {"code": "invalid_json"},
    }
    await socket.send_json_to({"type": "ping"})
    assert reply_of(await socket.receive_json_from()) == {"type": "pong"}
    await socket.disconnect()


async def test_a_late_push_of_an_older_item_still_reaches_the_client() -> None:
    """Fan-outs do not finish in id order (after a broker outage old ones run late): a live
    push older than what the client has is news, unless the last resume sent it."""
    ada = await make_user(name="Ada")
    socket, (connected, _) = await connect(await ticket_for(ada))
    assert connected
    await socket.send_json_to({"type": "resume", "after": 0})
    assert (await socket.receive_json_from())["type"] == "resumed"
    layer = get_channel_layer()
    newer = {"type": "feed.event", "id": 200, "data": {}}
    older = {"type": "feed.event", "id": 100, "data": {}}

    await layer.group_send(user_group(ada.pk), {"type": "push", "message": newer})
    await layer.group_send(user_group(ada.pk), {"type": "push", "message": older})

    assert await socket.receive_json_from(timeout=5) == newer
    assert await socket.receive_json_from(timeout=5) == older
    await socket.disconnect()


async def test_resume_replays_feed_items_in_the_order_their_fan_outs_ran() -> None:
    ada, grace = await make_user(name="Ada"), await make_user(name="Grace", role="founder")
    assert (await api_post(ada, f"/api/v1/users/{grace.pk}/follow/")).status_code == 201
    client = APIClient()
    client.force_authenticate(grace)
    for name in ("Early", "Late"):
        response = await database_sync_to_async(client.post)(
            "/api/v1/startups/", {"name": name, "industry": "ai"}, format="json"
        )
        assert response.status_code == 201

    def run_out_of_order() -> tuple[int, int]:
        from datetime import timedelta

        from django.utils import timezone

        from feed.models import ActivityEvent

        early, late = ActivityEvent.objects.filter(actor=grace).order_by("pk")
        now = timezone.now()  # "Late" fanned out first (pushed, seen); "Early" after an outage
        ActivityEvent.objects.filter(pk=late.pk).update(dispatched_at=now - timedelta(minutes=5))
        ActivityEvent.objects.filter(pk=early.pk).update(dispatched_at=now)
        return early.pk, late.pk

    early_id, late_id = await database_sync_to_async(run_out_of_order)()
    assert early_id < late_id
    socket, (connected, _) = await connect(await ticket_for(ada))
    assert connected
    await socket.send_json_to({"type": "resume", "after": 0, "feed_after": late_id})

    replayed = await socket.receive_json_from(timeout=5)
    assert (replayed["type"], replayed["id"]) == ("feed.event", early_id)  # not lost
    assert (await socket.receive_json_from(timeout=5))["data"]["counts"]["feed.event"] == 1
    await socket.disconnect()
