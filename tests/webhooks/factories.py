import factory
from factory.django import DjangoModelFactory

from webhooks.models import WebhookDelivery, WebhookEndpoint


class WebhookEndpointFactory(DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    url = factory.Sequence(lambda n: f"https://hooks{n}.example.com/collabhub")
    secret = factory.Sequence(lambda n: f"whsec_test_{n}")


class WebhookDeliveryFactory(DjangoModelFactory):
    """A pending delivery of an event (only the row; ``webhooks.services`` queues its send)."""

    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event_id = factory.Sequence(lambda n: n + 1)
    event_type = "opportunity_posted"
    payload = factory.LazyAttribute(lambda d: {"id": d.event_id, "type": d.event_type})
