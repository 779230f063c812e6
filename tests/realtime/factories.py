import hashlib

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from realtime.models import TicketUse


class TicketUseFactory(DjangoModelFactory):
    """A redeemed ticket, stored as ``realtime.services`` stores one: by its SHA-256."""

    class Meta:
        model = TicketUse

    ticket_hash = factory.Sequence(lambda n: hashlib.sha256(f"ticket-{n}".encode()).hexdigest())
    used_at = factory.LazyFunction(timezone.now)
