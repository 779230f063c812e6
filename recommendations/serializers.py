from typing import Any

from rest_framework import serializers

from recommendations.models import Interaction, InteractionKind, ItemType


class InteractionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Interaction
        fields = ["id", "kind", "item_type", "item_id", "created_at"]


class InteractionInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.ChoiceField(
        choices=InteractionKind.choices,
        help_text="`view`, `like`, `share` or `dismiss`. `save`, `follow` and `apply` are "
        "recorded by their own endpoints (400 `interaction_recorded_by_server`).",
    )
    item_type = serializers.ChoiceField(choices=ItemType.choices)
    item_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    from_recommendation = serializers.BooleanField(
        default=False, help_text="A view of a recommended item (records recommendation_viewed)."
    )


class RecommendationQuerySerializer(serializers.Serializer):  # type: ignore[type-arg]
    type = serializers.ChoiceField(
        choices=["startups", "opportunities", "talent"],
        required=False,
        help_text="Defaults from your role: talent and investors get startups, founders talent.",
    )
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)
    opportunity = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        help_text="With `type=talent`: the candidates for this one of your open roles.",
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if "opportunity" in data and data.get("type") != "talent":
            raise serializers.ValidationError({"opportunity": ["Only with type=talent."]})
        return data


class RecommendationSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=["startup", "opportunity", "talent"])
    name = serializers.CharField(required=False, help_text="Startups and talent.")
    title = serializers.CharField(required=False, help_text="Opportunities.")
    tagline = serializers.CharField(allow_blank=True)
    score = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField(), min_length=1)


class RecommendationListSerializer(serializers.Serializer):  # type: ignore[type-arg]
    type = serializers.CharField()
    algorithm = serializers.ChoiceField(
        choices=["hybrid", "content", "popularity", "random", "trending"],
        help_text="What ran: `content` when you have no history yet, `trending` when there "
        "is nothing to go on.",
    )
    recommendations = RecommendationSerializer(many=True)


class RuleSerializer(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["filter", "boost", "rerank"])
    priority = serializers.IntegerField()
    description = serializers.CharField()
    types = serializers.ListField(child=serializers.CharField())


class RecommendationRefreshInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    user_id = serializers.IntegerField(
        required=False, min_value=1, help_text="Staff only: clear this person's cache."
    )
