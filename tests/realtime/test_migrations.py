"""The spent-ticket table moved from feed to realtime with its rows: a ticket spent before the
move still cannot be spent again after it, and the move migrates back."""

import hashlib

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from realtime import services

pytestmark = pytest.mark.django_db(transaction=True)


def tables() -> set[str]:
    return set(connection.introspection.table_names())


def test_a_ticket_spent_before_the_move_stays_spent() -> None:
    ticket = services.ticket_issue(user_id=1)
    try:
        call_command("migrate", "realtime", "zero", verbosity=0)
        assert "feed_realtimeticketuse" in tables()
        assert "realtime_ticketuse" not in tables()
        with connection.cursor() as cursor:  # spent with the old code
            cursor.execute(
                "INSERT INTO feed_realtimeticketuse (ticket_hash, used_at) VALUES (%s, %s)",
                [hashlib.sha256(ticket.encode()).hexdigest(), timezone.now()],
            )
    finally:
        call_command("migrate", verbosity=0)

    assert "realtime_ticketuse" in tables()
    assert "feed_realtimeticketuse" not in tables()
    assert services.ticket_redeem(ticket=ticket) is None
    assert services.ticket_redeem(ticket=services.ticket_issue(user_id=1)) is not None
