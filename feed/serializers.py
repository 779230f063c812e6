from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from feed import presentation, registry
from feed.models import ActivityEvent, Notification
from realtime.messages import socket_message


class ActorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    name = serializers.CharField()


class EventSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """One feed item: rendered from the row and its snapshot, no further query."""

    actor = ActorSerializer(allow_null=True, read_only=True)
    description = serializers.SerializerMethodField()
    target = serializers.SerializerMethodField()

    class Meta:
        model = ActivityEvent
        fields = ["id", "actor", "action_type", "description", "target", "startup_id", "created_at"]

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        fields = super().get_fields()
        # The declared actions, read when the serializer is used (apps declare them at start).
        choices = [(t.action, t.label) for t in registry.event_type_list()]
        fields["action_type"] = serializers.ChoiceField(choices=choices, read_only=True)
        return fields

    def get_description(self, event: ActivityEvent) -> str:
        return presentation.describe(event)

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_target(self, event: ActivityEvent) -> dict[str, Any] | None:
        return presentation.target(event)


class FeedSerializer(serializers.Serializer):  # type: ignore[type-arg]
    next = serializers.CharField(allow_null=True, help_text="The next page's URL.")
    composition = serializers.DictField(child=serializers.FloatField())
    results = EventSerializer(many=True)


class NotificationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    event = EventSerializer(read_only=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "event", "read", "read_at", "created_at"]

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class FollowStateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    following = serializers.BooleanField(help_text="Whether you follow them.")
    followers_count = serializers.IntegerField()
    following_count = serializers.IntegerField(
        required=False, help_text="People and startups this person follows."
    )


def notification_message(notification: Notification) -> dict[str, Any]:
    """A notification as the socket carries it (the REST shape inside ``data``)."""
    return socket_message(
        type="notification",
        id=notification.pk,
        data=NotificationSerializer(notification).data,
        request_id=notification.event.request_id,
    )


def event_message(event: ActivityEvent) -> dict[str, Any]:
    """A new event of one's personal feed, as the socket carries it (the feed item shape)."""
    return socket_message(
        type="feed.event",
        id=event.pk,
        data=EventSerializer(event).data,
        request_id=event.request_id,
    )
