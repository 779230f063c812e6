"""Connections and direct messages. Every write is atomic and records its event
(``messaging.events``); notifications and socket pushes follow after commit, through the
feed's fan-out."""

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from feed.services import follow_create
from messaging import events, selectors
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


def _connection_locked(a: User, b: User) -> Connection | None:
    """The two people's connection, locked for the write that reads it."""
    return (
        Connection.objects.filter(Q(requester=a, addressee=b) | Q(requester=b, addressee=a))
        .select_for_update()
        .first()
    )


@transaction.atomic
def connection_request(*, requester: User, addressee: User) -> tuple[Connection, bool]:
    """Ask to connect. Asking again is idempotent; if the other person had asked already, this
    accepts their request; after a decline only the person who declined may ask."""
    if requester.pk == addressee.pk:
        raise ConnectSelf()
    existing = _connection_locked(requester, addressee)
    if existing is not None:
        if existing.status == ConnectionStatus.ACCEPTED:
            raise AlreadyConnected()
        if existing.status == ConnectionStatus.PENDING:
            if existing.requester_id == requester.pk:
                return existing, False
            return connection_accept(connection=existing, by=requester), False
        if existing.requester_id == requester.pk:  # declined: they may not ask again
            raise ConnectionDeclined()
        existing.delete()  # the one who declined now asks: a fresh request
    try:
        with transaction.atomic():
            connection = Connection.objects.create(requester=requester, addressee=addressee)
    except IntegrityError:  # the other person asked at the same moment: answer theirs
        return connection_request(requester=requester, addressee=addressee)
    events.connection_requested_record(connection=connection)
    return connection, True


def _answer(connection: Connection, *, by: User, status: str) -> Connection:
    """The person asked accepts or declines a pending request (locked: one answer wins)."""
    connection = (
        Connection.objects.select_for_update(of=("self",))
        .select_related("requester", "addressee")
        .get(pk=connection.pk)
    )
    if connection.addressee_id != by.pk:
        raise NotAddressee()
    if connection.status != ConnectionStatus.PENDING:
        raise ConnectionNotPending()
    connection.status = status
    connection.responded_at = timezone.now()
    connection.save(update_fields=["status", "responded_at"])
    return connection


@transaction.atomic
def connection_accept(*, connection: Connection, by: User) -> Connection:
    connection = _answer(connection, by=by, status=ConnectionStatus.ACCEPTED)
    events.connection_made_record(connection=connection)
    requester, addressee = connection.requester, connection.addressee
    # Connected people follow each other (quietly: the connection is the news).
    follow_create(follower=requester, target=addressee, record=False)
    follow_create(follower=addressee, target=requester, record=False)
    return connection


@transaction.atomic
def connection_decline(*, connection: Connection, by: User) -> Connection:
    connection = _answer(connection, by=by, status=ConnectionStatus.DECLINED)
    events.connection_declined_record(connection=connection)
    return connection


@transaction.atomic
def connection_remove(*, connection: Connection, by: User) -> None:
    """Either person ends a connection (or withdraws a request); messages stay."""
    if by.pk not in (connection.requester_id, connection.addressee_id):
        raise NotParticipant()
    connection.delete()


@transaction.atomic
def message_send(*, sender: User, recipient: User, body: str) -> Message:
    if not selectors.connection_is_accepted(a=sender, b=recipient):
        raise NotConnected()
    message = Message(sender=sender, recipient=recipient, body=body)
    message.full_clean()
    message.save()
    events.message_sent_record(message=message)
    return message


@transaction.atomic
def conversation_read(*, user: User, other: User) -> int:
    """Mark every message from ``other`` to ``user`` read."""
    return Message.objects.filter(sender=other, recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
