"""The webhooks API: staff only; the secret shown once; event types and URLs checked; no
address on the platform's own networks unless WEBHOOKS_ALLOW_PRIVATE."""

import uuid

import pytest
from django.test import override_settings

from tests.accounts.factories import UserFactory
from tests.webhooks.receiver import Receiver
from webhooks import services, transport
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

BASE = "/api/v1/webhooks/"


@pytest.fixture
def staff(client_for):
    return client_for(UserFactory(is_staff=True))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", BASE),
        ("post", BASE),
        ("get", f"{BASE}1/"),
        ("patch", f"{BASE}1/"),
        ("delete", f"{BASE}1/"),
        ("get", f"{BASE}1/deliveries/"),
        ("post", f"{BASE}1/deliveries/{uuid.UUID(int=7)}/redeliver/"),
    ],
)
def test_only_staff_manage_webhooks(client_for, method: str, path: str) -> None:
    WebhookEndpoint.objects.create(pk=1, url="http://127.0.0.1/x", secret="s")
    assert getattr(client_for(None), method)(path).status_code == 401
    response = getattr(client_for(UserFactory()), method)(path)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_the_secret_is_shown_once_on_creation(staff) -> None:
    created = staff.post(
        BASE,
        {"url": "http://127.0.0.1:8999/in", "event_types": ["application_created"]},
        format="json",
    )
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["event_types"] == ["application_created"] and body["is_active"]
    assert WebhookEndpoint.objects.get(pk=body["id"]).secret == body["secret"]

    detail = staff.get(f"{BASE}{body['id']}/").json()
    listed = staff.get(BASE).json()
    assert "secret" not in detail and "secret" not in listed["results"][0]
    assert listed["count"] == 1
    other = staff.post(BASE, {"url": "http://127.0.0.1:8999/in"}, format="json").json()
    assert other["secret"] != body["secret"]
    assert other["event_types"] == ["*"]  # every event by default


def test_patch_changes_an_endpoint_and_delete_removes_it(staff) -> None:
    endpoint = staff.post(BASE, {"url": "http://127.0.0.1:8999/in"}, format="json").json()
    path = f"{BASE}{endpoint['id']}/"
    response = staff.patch(
        path, {"event_types": ["startup_saved", "startup_followed"]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["event_types"] == ["startup_followed", "startup_saved"]
    assert response.json()["url"] == "http://127.0.0.1:8999/in"
    assert staff.delete(path).status_code == 204
    assert staff.get(path).status_code == 404
    assert staff.get(path).json()["error"]["code"] == "webhook_not_found"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "ftp://127.0.0.1/in"}, "url"),
        ({"url": "http://user:pw@127.0.0.1/in"}, "url"),
        ({"url": "http://does-not-exist.invalid/in"}, "url"),
        ({"url": "http://127.0.0.1/in", "event_types": ["startup_exploded"]}, "event_types"),
        ({"url": "http://127.0.0.1/in", "event_types": []}, "event_types"),
        ({"url": "http://127.0.0.1/in", "event_types": "*"}, "event_types"),
        ({"url": "http://127.0.0.1/in", "include_private": "perhaps"}, "include_private"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(staff, body, field: str) -> None:
    response = staff.post(BASE, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not WebhookEndpoint.objects.exists()


@override_settings(WEBHOOKS_ALLOW_PRIVATE=False)
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/in",
        "http://localhost:8000/in",
        "http://10.0.0.7/in",
        "http://192.168.1.1/in",
        "http://172.16.5.4/in",
        "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
        "http://100.64.0.1/in",  # carrier-grade NAT
        "http://0.0.0.0/in",
        "http://[::1]/in",
        "http://[::ffff:127.0.0.1]/in",
        "http://[fe80::1]/in",
        "http://[fd00::1]/in",
        "http://224.0.0.1/in",
        "http://2130706433/in",  # 127.0.0.1, as one number
        "http://0x7f.1/in",  # and in hex
        "http://[::7f00:1]/in",  # IPv4-compatible IPv6
        "http://[64:ff9b::a00:5]/in",  # NAT64 of 10.0.0.5
        "http://[2002:7f00:1::]/in",  # 6to4 of 127.0.0.1
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/in",  # Teredo
    ],
)
def test_addresses_on_private_networks_are_refused(staff, url: str) -> None:
    response = staff.post(BASE, {"url": url}, format="json")
    assert response.status_code == 400, url
    assert "url" in response.json()["error"]["fields"]


@override_settings(WEBHOOKS_ALLOW_PRIVATE=False)
def test_public_addresses_are_accepted() -> None:
    assert transport.addresses_check("https://93.184.215.14/in", allow_private=False)
    assert transport.addresses_check("https://[2606:4700::1111]/in", allow_private=False)


def test_multicast_and_unspecified_are_refused_even_when_private_is_allowed() -> None:
    for url in ("http://0.0.0.0/in", "http://224.0.0.1/in", "http://[::]/in"):
        with pytest.raises(transport.UnsafeURL):
            transport.addresses_check(url, allow_private=True)


def test_a_url_that_turns_private_after_registration_is_not_sent_to(committed) -> None:
    """Checked again when sending (a DNS answer may change): refused, and not retried."""
    with Receiver() as receiver:
        endpoint = WebhookEndpoint.objects.create(url=receiver.url, secret="s")
        from feed.models import ActivityEvent

        event = ActivityEvent.objects.create(action_type="opportunity_posted", actor=None)
        with override_settings(WEBHOOKS_ALLOW_PRIVATE=False), committed():
            services.deliveries_create(event=event)
        (delivery,) = WebhookDelivery.objects.filter(endpoint=endpoint)
        assert delivery.status == DeliveryStatus.FAILED and not delivery.will_retry
        assert "private, loopback or reserved" in delivery.error
        assert receiver.received == []


def test_an_unknown_status_filter_matches_nothing(staff) -> None:
    endpoint = staff.post(BASE, {"url": "http://127.0.0.1:8999/in"}, format="json").json()
    response = staff.get(f"{BASE}{endpoint['id']}/deliveries/?status=exploded")
    assert response.status_code == 200 and response.json()["results"] == []


def test_a_delivery_not_yet_due_is_not_sent_by_an_early_task() -> None:
    """A task queued twice (the sweep and a countdown) sends a retry once, at its time."""
    from datetime import timedelta

    from django.utils import timezone

    endpoint = WebhookEndpoint.objects.create(url="http://127.0.0.1:9/in", secret="s")
    later = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=1,
        event_type="opportunity_posted",
        payload={},
        scheduled_at=timezone.now() + timedelta(minutes=1),
    )
    assert services.delivery_attempt(delivery_id=later.pk) is None
    later.refresh_from_db()
    assert later.status == DeliveryStatus.PENDING and later.started_at is None
