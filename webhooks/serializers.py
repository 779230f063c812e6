from django.conf import settings
from rest_framework import serializers

from feed import registry
from webhooks import transport
from webhooks.models import ALL_EVENTS, WebhookDelivery, WebhookEndpoint


class WebhookEndpointSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "include_private",
            "is_active",
            "builtin",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="Signs every delivery. Shown in this response only: keep it."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    url = serializers.URLField(max_length=500, help_text="http(s) URL of a public address.")
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=40),
        min_length=1,
        max_length=100,
        required=False,
        help_text='Event types (activity action types, e.g. "application_created", '
        '"experiment_completed"), or ["*"] for all. Default ["*"].',
    )
    include_private = serializers.BooleanField(
        required=False, help_text="Also private events (default false)."
    )
    is_active = serializers.BooleanField(required=False)

    def validate_url(self, url: str) -> str:
        try:
            transport.addresses_check(url, allow_private=settings.WEBHOOKS_ALLOW_PRIVATE)
        except (transport.UnsafeURL, transport.Unresolvable) as exc:
            raise serializers.ValidationError(str(exc)) from exc
        return url

    def validate_event_types(self, event_types: list[str]) -> list[str]:
        known = {event_type.action for event_type in registry.event_type_list()}
        unknown = sorted(set(event_types) - known - {ALL_EVENTS})
        if unknown:
            raise serializers.ValidationError(
                f"Unknown event types: {', '.join(unknown)}. Known: {', '.join(sorted(known))}."
            )
        return [ALL_EVENTS] if ALL_EVENTS in event_types else sorted(set(event_types))


class WebhookDeliverySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    id = serializers.UUIDField(source="delivery_id", read_only=True)
    previous = serializers.UUIDField(
        source="previous_delivery",
        read_only=True,
        allow_null=True,
        help_text="The id of the attempt this one retries or redelivers.",
    )

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "trigger",
            "attempt",
            "previous",
            "status",
            "will_retry",
            "response_code",
            "duration_ms",
            "error",
            "scheduled_at",
            "started_at",
            "finished_at",
            "created_at",
            "payload",
        ]
        read_only_fields = fields
