"""Webhooks in the admin: the same rules as the API (a generated secret shown once, no
private address, the built-in endpoint left to its setting) and a redeliver action."""

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests.accounts.factories import UserFactory
from tests.webhooks.factories import WebhookDeliveryFactory, WebhookEndpointFactory
from webhooks.models import DeliveryTrigger, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def form(**fields):
    return {
        "url": "http://127.0.0.1:8999/in",
        "description": "CRM",
        "event_types": '["application_created"]',
        "is_active": "on",
        **fields,
    }


def test_adding_an_endpoint_generates_its_secret_and_shows_it_once(staff_client) -> None:
    response = staff_client.post(reverse("admin:webhooks_webhookendpoint_add"), form(), follow=True)
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.event_types == ["application_created"]
    assert endpoint.secret in response.content.decode()  # the page after saving shows it
    change = staff_client.get(reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk]))
    assert endpoint.secret not in change.content.decode()


@override_settings(WEBHOOKS_ALLOW_PRIVATE=False)
def test_the_admin_refuses_a_private_address(staff_client) -> None:
    response = staff_client.post(reverse("admin:webhooks_webhookendpoint_add"), form())
    assert response.status_code == 200
    assert "private, loopback or reserved" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_built_in_endpoint_cannot_be_deleted_in_the_admin(staff_client) -> None:
    builtin = WebhookEndpointFactory(builtin=True)
    url = reverse("admin:webhooks_webhookendpoint_delete", args=[builtin.pk])
    assert staff_client.post(url, {"post": "yes"}).status_code == 403
    assert WebhookEndpoint.objects.filter(pk=builtin.pk).exists()


def test_the_redeliver_action_queues_a_new_delivery(staff_client) -> None:
    delivery = WebhookDeliveryFactory(status="failed")
    response = staff_client.post(
        reverse("admin:webhooks_webhookdelivery_changelist"),
        {"action": "redeliver", "_selected_action": [delivery.pk]},
    )
    assert response.status_code == 302
    again = WebhookDelivery.objects.get(previous_delivery=delivery.delivery_id)
    assert again.trigger == DeliveryTrigger.REDELIVERY and again.payload == delivery.payload


@pytest.mark.parametrize(
    "event_types", ['"application_created"', '["startup_exploded"]', "[]", "[1]", '{"a": 1}']
)
def test_the_admin_checks_event_types_as_the_api_does(staff_client, event_types: str) -> None:
    response = staff_client.post(
        reverse("admin:webhooks_webhookendpoint_add"), form(event_types=event_types)
    )
    assert response.status_code == 200  # the form again, with its error
    assert not WebhookEndpoint.objects.exists()
