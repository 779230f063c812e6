from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from recommendations.models import (
    FactorModel,
    Interaction,
    ItemFeatures,
    ItemSimilarity,
    SkillAffinity,
    UserFeatures,
)


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "user", "kind", "item_type", "item_id", "created_at"]
    list_filter = ["kind", "item_type"]
    raw_id_fields = ["user"]


class DerivedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The feature store is derived (``manage.py recommendations_rebuild``): read-only here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ItemFeatures)
class ItemFeaturesAdmin(DerivedAdmin):
    list_display = ["item_type", "item_id", "industry", "popularity", "traction", "engaged"]
    list_filter = ["item_type", "industry"]
    ordering = ["item_type", "-popularity"]


@admin.register(ItemSimilarity)
class ItemSimilarityAdmin(DerivedAdmin):
    list_display = ["item_type", "item_id", "other_id", "score", "together"]
    list_filter = ["item_type"]


@admin.register(UserFeatures)
class UserFeaturesAdmin(DerivedAdmin):
    list_display = ["user", "activity", "last_active_at"]
    raw_id_fields = ["user"]
    ordering = ["-activity"]


@admin.register(SkillAffinity)
class SkillAffinityAdmin(DerivedAdmin):
    list_display = ["skill", "industry", "lift", "evidence"]
    list_filter = ["industry"]
    raw_id_fields = ["skill"]
    ordering = ["skill__name", "industry"]


@admin.register(FactorModel)
class FactorModelAdmin(DerivedAdmin):
    list_display = ["fitted_at", "factors", "regularization", "alpha", "items", "people"]
    exclude = ["vectors"]
