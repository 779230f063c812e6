from typing import Any

from django.contrib import admin

from feed.models import (
    ActivityEvent,
    EventAudience,
    FeedComposition,
    FeedMarker,
    Follow,
    Notification,
)


class EventAudienceInline(admin.TabularInline):  # type: ignore[type-arg]
    model = EventAudience
    raw_id_fields = ["user"]
    extra = 0


@admin.register(ActivityEvent)
class ActivityEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "action_type", "actor", "startup_id", "is_public", "created_at",
                    "dispatched_at"]  # fmt: skip
    list_filter = ["action_type", "is_public"]
    search_fields = ["actor__email", "actor__name", "request_id"]
    raw_id_fields = ["actor"]
    readonly_fields = [
        "created_at",
        "dispatched_at",
        "dispatch_attempts",
        "requeued_at",
        "request_id",
    ]
    inlines = [EventAudienceInline]
    date_hierarchy = "created_at"


@admin.register(EventAudience)
class EventAudienceAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "event", "user"]
    raw_id_fields = ["event", "user"]


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "follower", "target_type", "target_id", "created_at"]
    list_filter = ["target_type"]
    raw_id_fields = ["follower"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "recipient", "event", "created_at", "read_at"]
    raw_id_fields = ["recipient", "event"]


@admin.register(FeedMarker)
class FeedMarkerAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["user", "seen_at"]
    raw_id_fields = ["user"]


@admin.register(FeedComposition)
class FeedCompositionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: the mix is set with ``PUT /api/v1/feed/composition/``, which validates it,
    records the staff audit event and drops every process's cached copy."""

    list_display = ["personal", "interest", "updated_by", "updated_at"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
