from django.contrib import admin

from messaging.models import Connection, Message


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "requester", "addressee", "status", "created_at", "responded_at"]
    list_filter = ["status"]
    search_fields = ["requester__email", "addressee__email"]
    raw_id_fields = ["requester", "addressee"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "sender", "recipient", "created_at", "read_at"]
    search_fields = ["sender__email", "recipient__email"]
    raw_id_fields = ["sender", "recipient"]
