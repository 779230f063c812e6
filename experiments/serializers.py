from typing import Any

from rest_framework import serializers

from experiments.metrics import METRIC_NAMES
from experiments.models import Experiment
from experiments.targets import target_get, target_list

MIN_VARIANTS, MAX_VARIANTS = 2, 5


class VariantSerializer(serializers.Serializer):  # type: ignore[type-arg]
    key = serializers.SlugField(max_length=40)
    weight = serializers.IntegerField(min_value=1, max_value=100)
    config = serializers.DictField()


class ExperimentInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A definition, checked whole: variants against the target, weights summing to 100."""

    key = serializers.SlugField(max_length=60)
    name = serializers.CharField(max_length=120)
    hypothesis = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    target = serializers.ChoiceField(choices=())
    variants = VariantSerializer(many=True)
    traffic_allocation = serializers.IntegerField(min_value=0, max_value=100, required=False)
    primary_metric = serializers.ChoiceField(choices=METRIC_NAMES)
    guardrail_metrics = serializers.ListField(
        child=serializers.ChoiceField(choices=METRIC_NAMES), required=False, max_length=3
    )
    min_sample_size = serializers.IntegerField(min_value=1, max_value=10_000_000, required=False)
    duration_days = serializers.IntegerField(min_value=1, max_value=365, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The registered targets, read when used (a new target is registered at start-up).
        self.fields["target"] = serializers.ChoiceField(
            choices=[target.name for target in target_list()]
        )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        variants = data.get("variants")
        if variants is None:
            return data
        errors = []
        if not MIN_VARIANTS <= len(variants) <= MAX_VARIANTS:
            errors.append(f"Between {MIN_VARIANTS} and {MAX_VARIANTS} variants.")
        if len({variant["key"] for variant in variants}) != len(variants):
            errors.append("Variant keys must differ.")
        if sum(variant["weight"] for variant in variants) != 100:
            errors.append("Weights must sum to 100.")
        target_name = data.get("target") or getattr(self.instance, "target", None)
        target = target_get(name=target_name) if target_name else None
        checked = []
        for variant in variants:
            try:
                config = target.check(variant["config"]) if target else variant["config"]
            except ValueError as exc:
                errors.append(f"{variant['key']}: {exc}")
                continue
            checked.append({**variant, "config": config})
        if errors:
            raise serializers.ValidationError({"variants": errors})
        data["variants"] = checked
        return data


class ExperimentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    ends_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = Experiment
        fields = [
            "key",
            "name",
            "hypothesis",
            "target",
            "variants",
            "traffic_allocation",
            "primary_metric",
            "guardrail_metrics",
            "min_sample_size",
            "duration_days",
            "status",
            "created_at",
            "updated_at",
            "started_at",
            "ends_at",
            "ended_at",
            "end_reason",
        ]
        read_only_fields = fields
