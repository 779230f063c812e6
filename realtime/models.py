from django.db import models


class TicketUse(models.Model):
    """A WebSocket ticket that has been redeemed: tickets are signed (no store needed to
    verify one), and this row makes each work once. Rows older than the ticket lifetime are
    useless (the signature has expired) and are deleted as new tickets are redeemed."""

    ticket_hash = models.CharField(max_length=64, primary_key=True)
    used_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "feed_realtimeticketuse"  # kept from when feed owned it (rolling deploys)

    def __str__(self) -> str:
        return f"ticket {self.ticket_hash[:12]}… used {self.used_at:%Y-%m-%d %H:%M:%S}"
