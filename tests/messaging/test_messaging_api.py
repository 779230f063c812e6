"""Connections and direct messages through the API: the rules and who may see what."""

import pytest

from feed.models import ActivityEvent, Follow, Notification
from messaging.models import Connection, Message
from tests.accounts.factories import UserFactory
from tests.messaging.factories import ConnectionFactory, MessageFactory
from tests.startups.helpers import assert_error

pytestmark = pytest.mark.django_db

CONNECTIONS = "/api/v1/connections/"


def messages_url(user_id: int) -> str:
    return f"/api/v1/conversations/{user_id}/messages/"


@pytest.fixture
def ada():
    return UserFactory(name="Ada")


@pytest.fixture
def grace():
    return UserFactory(name="Grace")


def connect(client_for, a, b) -> None:
    made = client_for(a).post(CONNECTIONS, {"user_id": b.pk}, format="json").json()
    assert client_for(b).post(f"{CONNECTIONS}{made['id']}/accept/").status_code == 200


def test_request_accept_and_its_effects(client_for, committed, ada, grace) -> None:
    with committed():
        asked = client_for(ada).post(CONNECTIONS, {"user_id": grace.pk}, format="json")
    assert asked.status_code == 201
    body = asked.json()
    assert (body["status"], body["requester"]["id"], body["addressee"]["id"]) == (
        "pending",
        ada.pk,
        grace.pk,
    )
    again = client_for(ada).post(CONNECTIONS, {"user_id": grace.pk}, format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]  # idempotent
    assert Notification.objects.get(recipient=grace).event.action_type == "connection_requested"

    incoming = client_for(grace).get(CONNECTIONS, {"direction": "incoming", "status": "pending"})
    assert [c["id"] for c in incoming.json()["results"]] == [body["id"]]
    assert client_for(ada).post(f"{CONNECTIONS}{body['id']}/accept/").status_code == 403

    with committed():
        accepted = client_for(grace).post(f"{CONNECTIONS}{body['id']}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    made = ActivityEvent.objects.get(action_type="connection_made")
    assert made.actor == grace and Notification.objects.filter(event=made, recipient=ada).exists()
    # They follow each other now, quietly (no "followed you" events).
    assert (
        Follow.objects.filter(follower=ada).count()
        == Follow.objects.filter(follower=grace).count()
        == 1
    )
    assert not ActivityEvent.objects.filter(action_type="user_followed").exists()
    assert_error(
        client_for(ada).post(CONNECTIONS, {"user_id": grace.pk}, format="json"),
        409,
        "already_connected",
    )
    assert_error(
        client_for(grace).post(f"{CONNECTIONS}{body['id']}/accept/"), 409, "connection_not_pending"
    )


def test_asking_back_accepts_the_pending_request(client_for, ada, grace) -> None:
    client_for(ada).post(CONNECTIONS, {"user_id": grace.pk}, format="json")
    back = client_for(grace).post(CONNECTIONS, {"user_id": ada.pk}, format="json")
    assert back.status_code == 200 and back.json()["status"] == "accepted"
    assert Connection.objects.count() == 1


def test_decline_then_only_the_decliner_may_ask(client_for, ada, grace) -> None:
    made = client_for(ada).post(CONNECTIONS, {"user_id": grace.pk}, format="json").json()
    declined = client_for(grace).post(f"{CONNECTIONS}{made['id']}/decline/")
    assert declined.json()["status"] == "declined"
    assert_error(
        client_for(ada).post(CONNECTIONS, {"user_id": grace.pk}, format="json"),
        409,
        "connection_declined",
    )
    fresh = client_for(grace).post(CONNECTIONS, {"user_id": ada.pk}, format="json")
    assert fresh.status_code == 201 and fresh.json()["requester"]["id"] == grace.pk


def test_bad_requests(client_for, ada) -> None:
    api = client_for(ada)
    assert_error(api.post(CONNECTIONS, {"user_id": ada.pk}, format="json"), 400, "connect_self")
    assert_error(api.post(CONNECTIONS, {"user_id": "x"}, format="json"), 400, "validation_error")
    assert api.post(CONNECTIONS, {"user_id": 10**9}, format="json").status_code == 404
    assert client_for(None).post(CONNECTIONS, {"user_id": ada.pk}, format="json").status_code == 401


def test_a_stranger_cannot_see_or_touch_a_connection(client_for, ada, grace) -> None:
    made = client_for(ada).post(CONNECTIONS, {"user_id": grace.pk}, format="json").json()
    stranger = client_for(UserFactory())
    assert stranger.get(f"{CONNECTIONS}{made['id']}/").status_code == 404
    assert stranger.post(f"{CONNECTIONS}{made['id']}/accept/").status_code == 404
    assert stranger.delete(f"{CONNECTIONS}{made['id']}/").status_code == 404
    assert stranger.get(CONNECTIONS).json()["results"] == []
    assert client_for(ada).delete(f"{CONNECTIONS}{made['id']}/").status_code == 204
    assert not Connection.objects.exists()


def test_strangers_cannot_message(client_for, ada, grace) -> None:
    response = client_for(ada).post(messages_url(grace.pk), {"body": "hi"}, format="json")
    assert_error(response, 403, "not_connected")
    client_for(ada).post(CONNECTIONS, {"user_id": grace.pk}, format="json")  # pending is not enough
    response = client_for(ada).post(messages_url(grace.pk), {"body": "hi"}, format="json")
    assert_error(response, 403, "not_connected")
    assert not Message.objects.exists()


def test_connected_people_exchange_messages(client_for, committed, ada, grace) -> None:
    connect(client_for, ada, grace)
    html = "<b>bold</b> & <script>alert(1)</script>"
    with committed():
        sent = client_for(ada).post(messages_url(grace.pk), {"body": html}, format="json")
    assert sent.status_code == 201
    assert sent.json()["body"] == html  # stored and returned as text, never rendered
    client_for(grace).post(messages_url(ada.pk), {"body": "hello back"}, format="json")
    client_for(ada).post(messages_url(grace.pk), {"body": "third"}, format="json")

    page = client_for(grace).get(messages_url(ada.pk)).json()
    assert [m["body"] for m in page["results"]] == [html, "hello back", "third"]  # newest last
    event = ActivityEvent.objects.filter(action_type="message_sent").first()
    assert event is not None and not event.is_public
    assert Notification.objects.filter(recipient=grace, event__action_type="message_sent").exists()

    conversations = client_for(grace).get("/api/v1/conversations/").json()["results"]
    assert [
        (c["user"]["id"], c["unread_count"], c["last_message"]["body"]) for c in conversations
    ] == [(ada.pk, 2, "third")]
    assert client_for(grace).post(f"/api/v1/conversations/{ada.pk}/read/").json() == {
        "marked_read": 2
    }
    assert client_for(grace).get("/api/v1/conversations/").json()["results"][0]["unread_count"] == 0


def test_message_pages_go_back_in_time(client_for, ada, grace) -> None:
    ConnectionFactory(requester=ada, addressee=grace)
    for i in range(7):
        MessageFactory(sender=ada, recipient=grace, body=f"m{i}")
    first = client_for(grace).get(messages_url(ada.pk), {"page_size": 3}).json()
    assert [m["body"] for m in first["results"]] == ["m4", "m5", "m6"]
    older = client_for(grace).get(first["next"]).json()
    assert [m["body"] for m in older["results"]] == ["m1", "m2", "m3"]


def test_nobody_reads_a_conversation_they_are_not_in(client_for, ada, grace) -> None:
    ConnectionFactory(requester=ada, addressee=grace)
    MessageFactory(sender=ada, recipient=grace, body="secret")
    eve = UserFactory()
    assert client_for(eve).get(messages_url(ada.pk)).json()["results"] == []
    assert client_for(eve).get(messages_url(grace.pk)).json()["results"] == []
    assert client_for(eve).get("/api/v1/conversations/").json()["results"] == []
    assert client_for(None).get(messages_url(ada.pk)).status_code == 401


@pytest.mark.parametrize("body", ["", "   ", "x" * 5001])
def test_message_length_limits(client_for, ada, grace, body: str) -> None:
    connect(client_for, ada, grace)
    response = client_for(ada).post(messages_url(grace.pk), {"body": body}, format="json")
    assert_error(response, 400, "validation_error")
    assert not Message.objects.exists()


def test_messages_are_a_business_metric(client_for, ada, grace, settings) -> None:
    connect(client_for, ada, grace)
    client_for(ada).post(messages_url(grace.pk), {"body": "one"}, format="json")
    token = f"Bearer {settings.METRICS_TOKEN}"
    assert client_for(None).get("/metrics/", HTTP_AUTHORIZATION=token).json()["messages"] == 1
