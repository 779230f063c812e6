import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from messaging.models import Connection, ConnectionStatus, Message
from tests.accounts.factories import UserFactory


class ConnectionFactory(DjangoModelFactory):
    """Two connected people (``pending=True`` for a request not answered yet). Only the row:
    none of the follows and events ``messaging.services`` adds when people connect."""

    class Meta:
        model = Connection

    class Params:
        pending = factory.Trait(status=ConnectionStatus.PENDING, responded_at=None)

    requester = factory.SubFactory(UserFactory)
    addressee = factory.SubFactory(UserFactory)
    status = ConnectionStatus.ACCEPTED
    responded_at = factory.LazyFunction(timezone.now)


class MessageFactory(DjangoModelFactory):
    """A direct message. Only the row: it does not connect the two people (pair it with a
    ``ConnectionFactory`` where the test reads the conversation through the API)."""

    class Meta:
        model = Message

    sender = factory.SubFactory(UserFactory)
    recipient = factory.SubFactory(UserFactory)
    body = factory.Faker("sentence")
