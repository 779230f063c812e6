from rest_framework import serializers

from recommendations.models import Interaction, InteractionKind, ItemType


class InteractionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Interaction
        fields = ["id", "kind", "item_type", "item_id", "created_at"]


class InteractionInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.ChoiceField(
        choices=[k for k in InteractionKind.values if k != InteractionKind.FOLLOW],
        help_text="`follow` is recorded by the follow endpoints.",
    )
    item_type = serializers.ChoiceField(choices=ItemType.choices)
    item_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    from_recommendation = serializers.BooleanField(
        default=False, help_text="A view of a recommended item (records recommendation_viewed)."
    )
