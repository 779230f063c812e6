from collections.abc import Iterable, Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.output import datetime_text
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


def notification_messages(notifications: Iterable[Notification]) -> list[dict[str, Any]]:
    """Notifications as the socket carries them (the REST shape inside ``data``), serialised
    together: one serializer's fields for all (a fan-out has hundreds)."""
    rows = list(notifications)
    data = NotificationSerializer(rows, many=True).data
    return [
        socket_message(type="notification", id=row.pk, data=item, request_id=row.event.request_id)
        for row, item in zip(rows, data, strict=True)
    ]


def event_message(event: ActivityEvent) -> dict[str, Any]:
    """A new event of one's personal feed, as the socket carries it (the feed item shape)."""
    return socket_message(
        type="feed.event",
        id=event.pk,
        data=EventSerializer(event).data,
        request_id=event.request_id,
    )


COMPOSITION_TOLERANCE = 1e-3  # how far from 1 the two shares may sum (0.333 + 0.667 is fine)


class FeedCompositionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    personal = serializers.FloatField(help_text="Share of a page from whom and what you follow.")
    interest = serializers.FloatField(help_text="Share from public events matching your interests.")
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=["default", "experiment"],
        help_text="`experiment`: an experiment's variant applies to you; else the default mix.",
    )
    experiment = serializers.DictField(
        allow_null=True, help_text="The experiment (`id`, `key`) and your `variant`; or null."
    )


class FeedCompositionInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """The default mix: both shares, each from 0 to 1, summing to 1; nothing else."""

    personal = serializers.FloatField(min_value=0, max_value=1)
    interest = serializers.FloatField(min_value=0, max_value=1)

    def to_internal_value(self, data: Any) -> Any:
        errors: dict[str, Any] = {}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict):
                raise
            errors.update(exc.detail)
        if isinstance(data, Mapping):
            errors.update({key: ["Unknown field."] for key in sorted(set(data) - set(self.fields))})
        if errors:
            raise serializers.ValidationError(errors)
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        total = attrs["personal"] + attrs["interest"]
        if abs(total - 1) > COMPOSITION_TOLERANCE:
            message = f"personal and interest must sum to 1 (they sum to {total:g})."
            raise serializers.ValidationError({"personal": [message], "interest": [message]})
        return attrs


def event_output(event: ActivityEvent) -> dict[str, Any]:
    """``EventSerializer``'s output built directly (the feed page's hot path; identical, as
    ``tests/platform/test_output_identity.py`` checks)."""
    actor = event.actor
    return {
        "id": event.pk,
        "actor": None if actor is None else {"id": actor.pk, "name": actor.name},
        "action_type": event.action_type,
        "description": presentation.describe(event),
        "target": presentation.target(event),
        "startup_id": event.startup_id,
        "created_at": datetime_text(event.created_at),
    }
