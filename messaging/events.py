"""The events of connections and messages: private to the two people, the other one told.

Each also carries its own socket push -- the ``connection`` (its new status) or the ``message``
itself, to both people -- sent by the feed's fan-out after the write commits, with the request
ID of the write, like every other push.
"""

from typing import Any

from accounts.models import User
from core.events import EventType, Push
from feed.models import ActivityEvent
from feed.services import event_record
from messaging.models import Connection, Message
from messaging.serializers import connection_push, message_push

CONNECTION_REQUESTED = "connection_requested"
CONNECTION_MADE = "connection_made"
CONNECTION_DECLINED = "connection_declined"
MESSAGE_SENT = "message_sent"


def _connection_pushes(event: ActivityEvent) -> list[Push]:
    connection = (
        Connection.objects.select_related("requester", "addressee")
        .filter(pk=event.target_id or 0)
        .first()
    )
    if connection is None:  # withdrawn since: nothing to show
        return []
    people = [connection.requester_id, connection.addressee_id]
    # The status the event recorded, not the row's now: a push says what happened then,
    # whichever fan-out runs first.
    status = event.snapshot.get("status", connection.status)
    return [(people, connection_push(connection, status=status, request_id=event.request_id))]


def _message_pushes(event: ActivityEvent) -> list[Push]:
    message = Message.objects.select_related("sender", "recipient").filter(pk=event.target_id or 0)
    row = message.first()
    if row is None:
        return []
    return [([row.recipient_id, row.sender_id], message_push(row, request_id=event.request_id))]


EVENT_TYPES = [
    EventType(
        CONNECTION_REQUESTED, "{actor} asked to connect with {name}", pushes=_connection_pushes
    ),
    EventType(CONNECTION_MADE, "{actor} connected with {name}", pushes=_connection_pushes),
    EventType(
        CONNECTION_DECLINED, "{actor} declined to connect with {name}", pushes=_connection_pushes
    ),
    EventType(MESSAGE_SENT, "{actor} sent {name} a message", pushes=_message_pushes),
]


def _snapshot(kind: str, other: User, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "name": other.name, **extra}


def _private_record(
    action: str, *, actor: User, other: User, target: Any, kind: str, **extra: Any
) -> None:
    """Only the two see it; the other one is told."""
    event_record(
        action_type=action,
        actor=actor,
        target=target,
        snapshot=_snapshot(kind, other, **extra),
        is_public=False,
        audience=[other],
        recipients=[other.pk],
    )


def connection_requested_record(*, connection: Connection) -> None:
    _private_record(
        CONNECTION_REQUESTED,
        actor=connection.requester,
        other=connection.addressee,
        target=connection,
        kind="connection",
        status=connection.status,
    )


def connection_made_record(*, connection: Connection) -> None:
    """Public news, and the person who asked is told."""
    requester = connection.requester
    event_record(
        action_type=CONNECTION_MADE,
        actor=connection.addressee,
        target=connection,
        snapshot=_snapshot("connection", requester, status=connection.status),
        recipients=[requester.pk],
    )


def connection_declined_record(*, connection: Connection) -> None:
    """Seen by nobody but the one who declined, and nobody is notified: it exists so the
    new status reaches both people's sockets through the fan-out, as every push does."""
    event_record(
        action_type=CONNECTION_DECLINED,
        actor=connection.addressee,
        target=connection,
        snapshot=_snapshot("connection", connection.requester, status=connection.status),
        is_public=False,
    )


def message_sent_record(*, message: Message) -> None:
    _private_record(
        MESSAGE_SENT,
        actor=message.sender,
        other=message.recipient,
        target=message,
        kind="message",
    )
