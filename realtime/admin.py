from django.contrib import admin

from realtime.models import TicketUse


@admin.register(TicketUse)
class TicketUseAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Spent WebSocket tickets (their hashes), for looking into a refused socket."""

    list_display = ["ticket_hash", "used_at"]
    search_fields = ["ticket_hash"]
    date_hierarchy = "used_at"
