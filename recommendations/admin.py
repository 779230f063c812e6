from django.contrib import admin

from recommendations.models import Interaction


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "user", "kind", "item_type", "item_id", "created_at"]
    list_filter = ["kind", "item_type"]
    raw_id_fields = ["user"]
