from datetime import timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery

from accounts.models import User
from feed.models import ActivityEvent
from messaging.models import Connection, ConnectionStatus, Message


def connection_list(
    *, user: User, status: str | None = None, direction: str | None = None
) -> QuerySet[Connection]:
    """The user's connections and requests; only those of ``status`` (pending, accepted,
    declined) and of ``direction`` (incoming: asked of them; outgoing: asked by them)."""
    connections = Connection.objects.filter(Q(requester=user) | Q(addressee=user))
    if status in ConnectionStatus.values:
        connections = connections.filter(status=status)
    if direction == "incoming":
        connections = connections.filter(addressee=user)
    elif direction == "outgoing":
        connections = connections.filter(requester=user)
    return connections.select_related("requester", "addressee")


def connection_is_accepted(*, a: User, b: User) -> bool:
    """Whether the two people are connected (asked and accepted, either way round)."""
    return Connection.objects.filter(
        Q(requester=a, addressee=b) | Q(requester=b, addressee=a),
        status=ConnectionStatus.ACCEPTED,
    ).exists()


def message_badge_get(*, user: User) -> tuple[int, int]:
    """(messages to the person not read yet, the newest message's id to or from them or 0),
    read together: a page shows the one and its socket resumes after the other."""
    row = Message.objects.filter(Q(sender=user) | Q(recipient=user)).aggregate(
        unread=Count("pk", filter=Q(recipient=user, read_at__isnull=True)), last=Max("pk")
    )
    return row["unread"], row["last"] or 0


def connection_between(*, a: User, b: User) -> Connection | None:
    """Their connection or request, either way round; None if neither asked."""
    return (
        Connection.objects.filter(Q(requester=a, addressee=b) | Q(requester=b, addressee=a))
        .select_related("requester", "addressee")
        .first()
    )


def conversation_message_list(*, user: User, other: User) -> QuerySet[Message]:
    """The messages between two people (only ever asked for by one of them)."""
    return Message.objects.filter(
        Q(sender=user, recipient=other) | Q(sender=other, recipient=user)
    ).select_related("sender", "recipient")


def conversation_list(*, user: User) -> list[dict]:  # type: ignore[type-arg]
    """One row per person I have exchanged messages with: the last message and how many of
    theirs I have not read, most recent first. Three queries, whatever the count."""
    sent = (
        Message.objects.filter(sender=user)
        .values("recipient")
        .annotate(last=Max("pk"))
        .values_list("recipient", "last")
    )
    received = (
        Message.objects.filter(recipient=user)
        .values("sender")
        .annotate(last=Max("pk"), unread=Count("pk", filter=Q(read_at__isnull=True)))
        .values_list("sender", "last", "unread")
    )
    latest: dict[int, int] = {}
    unread: dict[int, int] = {}
    for other, last in sent:
        latest[other] = max(latest.get(other, 0), last)
    for other, last, count in received:
        latest[other] = max(latest.get(other, 0), last)
        unread[other] = count
    messages = Message.objects.filter(pk__in=latest.values()).select_related("sender", "recipient")
    rows = []
    for message in sorted(messages, key=lambda m: -m.pk):
        person = message.recipient if message.sender_id == user.pk else message.sender
        rows.append(
            {"user": person, "last_message": message, "unread_count": unread.get(person.pk, 0)}
        )
    return rows


LATE_PUSH_WINDOW = timedelta(hours=1)  # how much older than the last one a late push may be


def message_resume_list(*, user_id: int, after: int, limit: int) -> list[dict[str, Any]]:
    """The ``message`` pushes a socket missed after the one with id ``after``, in the order the
    fan-outs of their ``message_sent`` events ran -- not id order: a message sent while the
    broker was down is pushed after later ones. Messages whose fan-out has not run yet will
    be pushed live."""
    from messaging.events import MESSAGE_SENT
    from messaging.serializers import message_push

    pushed = ActivityEvent.objects.filter(
        action_type=MESSAGE_SENT,
        target_type=ContentType.objects.get_for_model(Message),
        target_id=OuterRef("pk"),
    ).values("dispatched_at")[:1]
    rows = Message.objects.filter(Q(sender_id=user_id) | Q(recipient_id=user_id))
    last = Message.objects.filter(pk=after).annotate(pushed_at=Subquery(pushed)).first()
    if last is not None:  # a late push is at most this much older than the last one seen
        rows = rows.filter(created_at__gte=last.created_at - LATE_PUSH_WINDOW)
    rows = rows.annotate(pushed_at=Subquery(pushed)).filter(pushed_at__isnull=False)
    if last is not None and last.pushed_at is not None:
        seen = last.pushed_at
        rows = rows.filter(Q(pushed_at__gt=seen) | Q(pushed_at=seen, pk__gt=after))
    elif after:
        rows = rows.filter(pk__gt=after)
    rows = rows.select_related("sender", "recipient").order_by("pushed_at", "pk")
    return [message_push(row) for row in rows[:limit]]
