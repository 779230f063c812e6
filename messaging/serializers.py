from typing import Any

from rest_framework import serializers

from accounts.models import User
from accounts.serializers import UserSummarySerializer
from messaging.models import MAX_MESSAGE_LENGTH, Connection, Message
from realtime.messages import socket_message


class ConnectionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    requester = UserSummarySerializer(read_only=True)
    addressee = UserSummarySerializer(read_only=True)

    class Meta:
        model = Connection
        fields = ["id", "requester", "addressee", "status", "created_at", "responded_at"]


class ConnectionRequestSerializer(serializers.Serializer):  # type: ignore[type-arg]
    user_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class MessageSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    sender = UserSummarySerializer(read_only=True)
    recipient = UserSummarySerializer(read_only=True)

    class Meta:
        model = Message
        fields = ["id", "sender", "recipient", "body", "created_at", "read_at"]


class MessageInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    body = serializers.CharField(
        max_length=MAX_MESSAGE_LENGTH, help_text="Plain text; shown as text, never as markup."
    )


class ConversationSerializer(serializers.Serializer):  # type: ignore[type-arg]
    user = UserSummarySerializer()
    last_message = MessageSerializer()
    unread_count = serializers.IntegerField()


# --- as the socket carries them ---------------------------------------------------------------
def _person(user: User) -> dict[str, Any]:
    return {"id": user.pk, "name": user.name}


def connection_push(
    connection: Connection, *, status: str | None = None, request_id: str | None = None
) -> dict[str, Any]:
    """``status``: the one to show (what an event recorded), else the row's."""
    data = {
        "id": connection.pk,
        "status": status or connection.status,
        "requester": _person(connection.requester),
        "addressee": _person(connection.addressee),
    }
    return socket_message(type="connection", id=connection.pk, data=data, request_id=request_id)


def message_push(message: Message, *, request_id: str | None = None) -> dict[str, Any]:
    data = {
        "id": message.pk,
        "sender": _person(message.sender),
        "recipient": _person(message.recipient),
        "body": message.body,
        "created_at": message.created_at.isoformat(),
    }
    return socket_message(type="message", id=message.pk, data=data, request_id=request_id)
