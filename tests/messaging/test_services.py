"""Messaging's rules, called directly (the HTTP tests check the envelopes; these check that
each rule lives in the service, whoever calls it: a view, a task, the shell)."""

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import ValidationError
from django.utils import timezone

from collabhub.celery import app
from feed import outbox
from feed import services as feed_services
from feed.models import ActivityEvent, Follow, Notification
from messaging import selectors, services
from messaging.exceptions import (
    AlreadyConnected,
    ConnectionDeclined,
    ConnectionNotPending,
    ConnectSelf,
    NotAddressee,
    NotConnected,
    NotParticipant,
)
from messaging.models import Connection, ConnectionStatus, Message
from observability.breaker import breakers_reset
from observability.context import request_id_var
from tests.accounts.factories import UserFactory
from tests.support import celery_pools_reset, free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    return UserFactory(name="Ada"), UserFactory(name="Grace")


def connect(a, b) -> Connection:
    connection, _ = services.connection_request(requester=a, addressee=b)
    return services.connection_accept(connection=connection, by=b)


def test_a_request_is_private_and_notifies_only_the_person_asked(pair, committed) -> None:
    ada, grace = pair
    with committed():  # the fan-out (notifications) runs after commit
        connection, created = services.connection_request(requester=ada, addressee=grace)

    assert created and connection.status == ConnectionStatus.PENDING
    event = ActivityEvent.objects.get(action_type="connection_requested")
    assert (event.actor, event.is_public) == (ada, False)
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [grace.pk]


def test_asking_again_changes_nothing_and_asking_back_accepts(pair) -> None:
    ada, grace = pair
    first, _ = services.connection_request(requester=ada, addressee=grace)

    again, created = services.connection_request(requester=ada, addressee=grace)
    assert (again.pk, created) == (first.pk, False)
    back, created = services.connection_request(requester=grace, addressee=ada)

    assert (back.pk, created, back.status) == (first.pk, False, ConnectionStatus.ACCEPTED)
    assert Connection.objects.count() == 1
    with pytest.raises(AlreadyConnected):
        services.connection_request(requester=ada, addressee=grace)


def test_nobody_connects_with_themselves(pair) -> None:
    with pytest.raises(ConnectSelf):
        services.connection_request(requester=pair[0], addressee=pair[0])
    assert not Connection.objects.exists()


def test_only_the_person_asked_answers_and_only_once(pair) -> None:
    ada, grace = pair
    connection, _ = services.connection_request(requester=ada, addressee=grace)

    with pytest.raises(NotAddressee):
        services.connection_accept(connection=connection, by=ada)
    services.connection_decline(connection=connection, by=grace)
    with pytest.raises(ConnectionNotPending):
        services.connection_accept(connection=connection, by=grace)
    assert Connection.objects.get().status == ConnectionStatus.DECLINED


def test_after_a_decline_only_the_one_who_declined_may_ask(pair) -> None:
    ada, grace = pair
    connection, _ = services.connection_request(requester=ada, addressee=grace)
    services.connection_decline(connection=connection, by=grace)

    with pytest.raises(ConnectionDeclined):
        services.connection_request(requester=ada, addressee=grace)
    fresh, created = services.connection_request(requester=grace, addressee=ada)

    assert created and (fresh.requester, fresh.status) == (grace, ConnectionStatus.PENDING)


def test_accepting_connects_and_makes_them_follow_each_other_quietly(pair) -> None:
    ada, grace = pair
    connect(ada, grace)

    assert selectors.connection_is_accepted(a=ada, b=grace)
    assert selectors.connection_is_accepted(a=grace, b=ada)
    assert Follow.objects.filter(follower__in=[ada, grace]).count() == 2
    assert not ActivityEvent.objects.filter(
        action_type__in=["user_followed", "startup_followed"]
    ).exists()
    made = ActivityEvent.objects.get(action_type="connection_made")
    assert (made.actor, made.recipients) == (grace, [ada.pk])


def test_only_the_two_people_may_end_a_connection(pair) -> None:
    ada, grace = pair
    connection = connect(ada, grace)
    services.message_send(sender=ada, recipient=grace, body="Hello")

    with pytest.raises(NotParticipant):
        services.connection_remove(connection=connection, by=UserFactory())
    services.connection_remove(connection=connection, by=grace)

    assert not selectors.connection_is_accepted(a=ada, b=grace)
    assert Message.objects.count() == 1  # messages stay


def test_messages_go_only_between_connected_people(pair) -> None:
    ada, grace = pair
    with pytest.raises(NotConnected):
        services.message_send(sender=ada, recipient=grace, body="Hi")
    services.connection_request(requester=ada, addressee=grace)  # pending is not connected
    with pytest.raises(NotConnected):
        services.message_send(sender=ada, recipient=grace, body="Hi")
    assert not Message.objects.exists()


def test_a_message_is_validated_recorded_privately_and_read_by_its_recipient(pair) -> None:
    ada, grace = pair
    connect(ada, grace)
    with pytest.raises(ValidationError):
        services.message_send(sender=ada, recipient=grace, body="")

    services.message_send(sender=ada, recipient=grace, body="First")
    services.message_send(sender=ada, recipient=grace, body="Second")
    services.message_send(sender=grace, recipient=ada, body="Reply")

    sent = ActivityEvent.objects.filter(action_type="message_sent")
    assert sent.count() == 3 and not sent.filter(is_public=True).exists()
    assert services.conversation_read(user=grace, other=ada) == 2
    assert services.conversation_read(user=grace, other=ada) == 0
    assert Message.objects.filter(read_at__isnull=True).get().body == "Reply"


# --- pushes: through the feed's fan-out, like every other push ---------------------------------
def socket_messages(user_id: int, act) -> list[dict]:
    """What the user's socket group receives (the real in-memory channel layer) while ``act``
    runs and just after."""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"user.{user_id}", channel)
    act()

    async def drain() -> list[dict]:
        received = []
        while True:
            try:
                received.append(await asyncio.wait_for(layer.receive(channel), 0.3))
            except TimeoutError:
                return [event["message"] for event in received]

    return async_to_sync(drain)()


def test_a_message_reaches_the_socket_from_its_events_fan_out_even_after_a_broker_outage(
    pair, django_capture_on_commit_callbacks
) -> None:
    """Sent while the broker is down: no push from the web process (there is no second path);
    the message arrives when the outbox re-dispatches its event, with the sender's request ID."""
    ada, grace = pair
    connect(ada, grace)
    dead = f"redis://127.0.0.1:{free_port()}/0"
    previous = {k: app.conf[k] for k in ("task_always_eager", "broker_url")}

    def send_while_the_broker_is_down() -> None:
        app.conf.update(task_always_eager=False, broker_url=dead)
        celery_pools_reset()
        token = request_id_var.set("req-while-down")
        try:
            with django_capture_on_commit_callbacks(execute=True):
                services.message_send(sender=ada, recipient=grace, body="still there?")
            outbox.publisher_drain()
        finally:
            request_id_var.reset(token)
            app.conf.update(previous)
            celery_pools_reset()
            breakers_reset()

    assert socket_messages(grace.pk, send_while_the_broker_is_down) == []
    event = ActivityEvent.objects.get(action_type="message_sent")
    assert event.dispatched_at is None
    ActivityEvent.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - timedelta(minutes=5)
    )

    def redispatch() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            assert feed_services.events_redispatch() == 1

    pushed = {message["type"]: message for message in socket_messages(grace.pk, redispatch)}
    assert pushed["message"]["data"]["body"] == "still there?"
    assert pushed["message"]["request_id"] == "req-while-down"
    assert pushed["notification"]["request_id"] == "req-while-down"


def test_a_decline_reaches_both_people_live_and_notifies_nobody(pair, committed) -> None:
    ada, grace = pair
    connection, _ = services.connection_request(requester=ada, addressee=grace)
    layer = get_channel_layer()
    graces = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"user.{grace.pk}", graces)

    def decline() -> None:
        with committed():
            services.connection_decline(connection=connection, by=grace)

    [pushed] = socket_messages(ada.pk, decline)
    assert pushed["type"] == "connection"
    assert pushed["data"]["status"] == ConnectionStatus.DECLINED
    to_grace = async_to_sync(layer.receive)(graces)["message"]
    assert (to_grace["type"], to_grace["data"]["status"]) == ("connection", "declined")
    event = ActivityEvent.objects.get(action_type="connection_declined")
    assert not event.is_public
    assert not Notification.objects.filter(event=event).exists()


def test_a_late_connection_push_says_what_happened_then(pair, committed) -> None:
    """The request's fan-out runs after the accept's (a broker outage): its push still says
    "pending", and the accept's says "accepted" -- each push tells its own event."""
    ada, grace = pair
    connection, _ = services.connection_request(requester=ada, addressee=grace)  # not fanned out
    with committed():
        services.connection_accept(connection=connection, by=grace)
    requested = ActivityEvent.objects.get(action_type="connection_requested")

    def late_fan_out() -> None:
        with committed():
            feed_services.event_fanout_run(event_id=requested.pk)

    pushed = [m for m in socket_messages(ada.pk, late_fan_out) if m["type"] == "connection"]
    assert [m["data"]["status"] for m in pushed] == ["pending"]


def test_resume_replays_a_message_pushed_late_after_later_ones(pair, committed) -> None:
    """Message 1's fan-out ran after message 2's (the broker was down): a client that saw 2
    live and resumes from it still gets 1."""
    ada, grace = pair
    connect(ada, grace)
    first = services.message_send(sender=ada, recipient=grace, body="one")  # not fanned out
    with committed():
        second = services.message_send(sender=ada, recipient=grace, body="two")
    with committed():
        feed_services.event_fanout_run(
            event_id=ActivityEvent.objects.get(action_type="message_sent", target_id=first.pk).pk
        )

    replayed = selectors.message_resume_list(user_id=grace.pk, after=second.pk, limit=50)

    assert [m["id"] for m in replayed] == [first.pk]
    assert selectors.message_resume_list(user_id=grace.pk, after=first.pk, limit=50) == []
