"""The spent-ticket model moved from feed to realtime without touching its table: a ticket
spent before the move stays spent after it, and the move migrates back and forth."""

import hashlib

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from realtime import services
from realtime.models import TicketUse

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_ticket_spent_before_the_move_stays_spent() -> None:
    ticket = services.ticket_issue(user_id=1)
    try:
        call_command("migrate", "realtime", "zero", verbosity=0)
        call_command("migrate", "feed", "0006", verbosity=0)  # before the move
        with connection.cursor() as cursor:  # spent with the old code
            cursor.execute(
                "INSERT INTO feed_realtimeticketuse (ticket_hash, used_at) VALUES (%s, %s)",
                [hashlib.sha256(ticket.encode()).hexdigest(), timezone.now()],
            )
    finally:
        call_command("migrate", verbosity=0)

    assert TicketUse._meta.db_table == "feed_realtimeticketuse"
    assert TicketUse.objects.count() == 1
    assert services.ticket_redeem(ticket=ticket) is None
    assert services.ticket_redeem(ticket=services.ticket_issue(user_id=1)) is not None
