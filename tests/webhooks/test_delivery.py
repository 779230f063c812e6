"""Webhook deliveries, to a real HTTP receiver on 127.0.0.1: signed, retried on 5xx/429 and
network errors with backoff (or Retry-After), not on other 4xx or redirects, endpoints
disabled after repeated failures, redelivered on request, private events kept private, and
nothing sent where staff did not point."""

import json
import re
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from django.utils import timezone

from feed import services as feed_services
from feed.models import ActivityEvent, Notification
from messaging import services as messaging_services
from startups import services as startup_services
from tests.accounts.factories import UserFactory
from tests.messaging.factories import ConnectionFactory
from tests.startups.factories import StartupFactory
from tests.webhooks.receiver import Answer, Receiver
from webhooks import services, signing
from webhooks.metrics import DELIVERIES
from webhooks.models import DeliveryStatus, DeliveryTrigger, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

BASE = "/api/v1/webhooks/"


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def staff(client_for):
    return client_for(UserFactory(is_staff=True))


def register(staff, url: str, **fields: Any) -> dict[str, Any]:
    response = staff.post(BASE, {"url": url, **fields}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def post_job(committed, startup=None, title: str = "Engineer"):
    startup = startup or StartupFactory()
    with committed():
        startup_services.opportunity_create(
            startup=startup, by=startup.owner, data={"title": title, "kind": "full-time"}
        )
    return ActivityEvent.objects.filter(action_type="opportunity_posted").latest("pk")


def attempts(endpoint_id: int) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(endpoint_id=endpoint_id).order_by("pk"))


def test_a_delivery_is_signed_and_carries_the_event(staff, receiver, committed) -> None:
    endpoint = register(staff, receiver.url, event_types=["opportunity_posted"])
    event = post_job(committed, title="Robotics Engineer")

    (request,) = receiver.wait_for(1)
    body = json.loads(request.body)
    assert body["id"] == event.pk
    assert body["type"] == "opportunity_posted"
    assert body["created_at"] == body["data"]["created_at"]
    assert body["data"]["target"]["title"] == "Robotics Engineer"
    assert body["data"]["action_type"] == "opportunity_posted"
    assert "recipients" not in body["data"]
    headers = request.headers
    assert request.path == "/hooks/collabhub"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-CollabHub-Event"] == "opportunity_posted"
    assert abs(int(headers["X-CollabHub-Timestamp"]) - time.time()) < 10
    # The receiver's check, with the secret shown once on creation.
    assert signing.signature_verify(
        secret=endpoint["secret"],
        timestamp=headers["X-CollabHub-Timestamp"],
        body=request.body,
        header=headers["X-CollabHub-Signature"],
    )
    assert not signing.signature_verify(
        secret=endpoint["secret"],
        timestamp=headers["X-CollabHub-Timestamp"],
        body=request.body.replace(b"Robotics", b"Rootkits"),
        header=headers["X-CollabHub-Signature"],
    )
    assert not signing.signature_verify(
        secret="whsec_wrong",
        timestamp=headers["X-CollabHub-Timestamp"],
        body=request.body,
        header=headers["X-CollabHub-Signature"],
    )
    (delivery,) = attempts(endpoint["id"])
    assert str(delivery.delivery_id) == headers["X-CollabHub-Delivery"]
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.response_code == 200
    assert delivery.duration_ms is not None and delivery.error == ""


def test_a_receiver_rejects_a_replay_older_than_five_minutes(staff, receiver, committed) -> None:
    endpoint = register(staff, receiver.url)
    post_job(committed)
    (request,) = receiver.wait_for(1)
    sent = request.headers["X-CollabHub-Timestamp"]
    check = {
        "secret": endpoint["secret"],
        "timestamp": sent,
        "body": request.body,
        "header": request.headers["X-CollabHub-Signature"],
    }
    assert signing.signature_verify(**check, now=int(sent) + 299)
    assert not signing.signature_verify(**check, now=int(sent) + 301)
    # A replayed body with a fresh timestamp does not match the old signature.
    assert not signing.signature_verify(**{**check, "timestamp": str(int(sent) + 301)})


def test_only_the_wanted_event_types_are_delivered(staff, receiver, committed) -> None:
    register(staff, receiver.url, event_types=["startup_followed"])
    startup = StartupFactory()
    post_job(committed, startup)  # not wanted
    fan = UserFactory()
    with committed():
        feed_services.follow_create(follower=fan, target=startup)

    (request,) = receiver.wait_for(1)
    assert request.headers["X-CollabHub-Event"] == "startup_followed"
    assert len(receiver.received) == 1


def test_private_events_go_only_to_endpoints_flagged_for_them(staff, committed) -> None:
    with Receiver() as public, Receiver() as private:
        register(staff, public.url)
        register(staff, private.url, include_private=True)
        ada, grace = UserFactory(), UserFactory()
        ConnectionFactory(requester=ada, addressee=grace)
        with committed():
            messaging_services.message_send(sender=ada, recipient=grace, body="Coffee?")
        with committed():
            feed_services.follow_create(follower=ada, target=grace)  # public

        got = private.wait_for(2)
        assert {r.headers["X-CollabHub-Event"] for r in got} == {"message_sent", "user_followed"}
        public.wait_for(1)
        time.sleep(0.2)
        assert [r.headers["X-CollabHub-Event"] for r in public.received] == ["user_followed"]


def test_a_5xx_is_retried_with_backoff_until_it_succeeds(staff, receiver, committed) -> None:
    receiver.script = [Answer(500, body=b"database on fire"), Answer(503)]
    endpoint = register(staff, receiver.url)
    event = post_job(committed)

    got = receiver.wait_for(3)
    first, second, third = attempts(endpoint["id"])
    assert [a.attempt for a in (first, second, third)] == [1, 2, 3]
    assert [a.status for a in (first, second, third)] == ["failed", "failed", "succeeded"]
    assert first.response_code == 500 and first.error == "database on fire" and first.will_retry
    assert second.trigger == third.trigger == DeliveryTrigger.RETRY
    assert second.previous_delivery == first.delivery_id
    assert third.previous_delivery == second.delivery_id
    assert not third.will_retry
    # Exponential backoff with jitter: attempt n waits between half and all of base * 2^(n-1).
    for earlier, later in ((first, second), (second, third)):
        wait = (later.scheduled_at - earlier.finished_at).total_seconds()
        full = 30 * 2 ** (earlier.attempt - 1)
        assert full / 2 - 1 <= wait <= full + 1
    # One event, one id: the receiver can recognise a repeat; every attempt is its own delivery.
    assert {json.loads(r.body)["id"] for r in got} == {event.pk}
    assert len({r.headers["X-CollabHub-Delivery"] for r in got}) == 3
    stamps = [int(r.headers["X-CollabHub-Timestamp"]) for r in got]
    assert stamps == sorted(stamps)
    assert WebhookEndpoint.objects.get(pk=endpoint["id"]).consecutive_failures == 0


def test_a_429_waits_as_long_as_retry_after_says(staff, receiver, committed) -> None:
    receiver.script = [Answer(429, {"Retry-After": "120"})]
    endpoint = register(staff, receiver.url)
    post_job(committed)

    receiver.wait_for(2)
    first, second = attempts(endpoint["id"])
    assert first.response_code == 429 and first.will_retry
    wait = (second.scheduled_at - first.finished_at).total_seconds()
    assert 119 <= wait <= 121


def test_a_receiver_answering_a_byte_at_a_time_is_cut_off_at_the_deadline(staff, committed) -> None:
    """The timeout is for the whole exchange, not each read."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def drip() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100:
            if stop.wait(0.2):
                break
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                break
        conn.close()

    threading.Thread(target=drip, daemon=True).start()
    endpoint = register(staff, f"http://127.0.0.1:{port}/in")
    try:
        with override_settings(WEBHOOKS_TIMEOUT=1.0, WEBHOOKS_MAX_ATTEMPTS=1):
            started = time.monotonic()
            post_job(committed)
            took = time.monotonic() - started
    finally:
        stop.set()
        listener.close()
    (only,) = attempts(endpoint["id"])
    assert only.status == DeliveryStatus.FAILED and only.response_code is None
    assert "timed out" in only.error
    assert took < 2.5


@pytest.mark.parametrize("status", [400, 401, 404, 410, 422])
def test_another_4xx_is_not_retried(staff, receiver, committed, status: int) -> None:
    receiver.always = Answer(status, body=b"no such hook")
    endpoint = register(staff, receiver.url)
    post_job(committed)

    receiver.wait_for(1)
    time.sleep(0.1)
    (only,) = attempts(endpoint["id"])
    assert only.status == DeliveryStatus.FAILED
    assert only.response_code == status and only.error == "no such hook"
    assert not only.will_retry
    assert len(receiver.received) == 1


def test_a_redirect_is_not_followed(staff, committed) -> None:
    with Receiver() as elsewhere, Receiver() as receiver:
        receiver.always = Answer(307, {"Location": elsewhere.url})
        endpoint = register(staff, receiver.url)
        post_job(committed)

        receiver.wait_for(1)
        (only,) = attempts(endpoint["id"])
        assert only.response_code == 307 and not only.will_retry
        assert "not followed" in only.error
        assert elsewhere.received == []


def test_a_network_error_is_retried(staff, committed) -> None:
    with Receiver() as gone:
        url = gone.url  # a port nobody listens on once it is closed
    endpoint = register(staff, url)
    with override_settings(WEBHOOKS_MAX_ATTEMPTS=2):
        post_job(committed)

    first, second = attempts(endpoint["id"])
    assert first.response_code is None and first.will_retry
    assert "Connect" in first.error or "refused" in first.error.lower()
    assert second.attempt == 2 and not second.will_retry  # the last attempt


def test_a_slow_receiver_times_out(staff, receiver, committed) -> None:
    receiver.always = Answer(200, delay=1.5)
    endpoint = register(staff, receiver.url)
    with override_settings(WEBHOOKS_TIMEOUT=0.5, WEBHOOKS_MAX_ATTEMPTS=1):
        started = time.monotonic()
        post_job(committed)
        took = time.monotonic() - started

    (only,) = attempts(endpoint["id"])
    assert only.status == DeliveryStatus.FAILED and only.response_code is None
    assert "timed out" in only.error.lower() or "timeout" in only.error.lower()
    assert took < 1.4


@override_settings(WEBHOOKS_DISABLE_AFTER=3, WEBHOOKS_MAX_ATTEMPTS=2)
def test_an_endpoint_failing_again_and_again_is_disabled_and_staff_told(
    receiver, committed, client_for
) -> None:
    admin = UserFactory(is_staff=True)
    staff = client_for(admin)
    receiver.always = Answer(500)
    endpoint = register(staff, receiver.url)
    post_job(committed)  # two failed attempts
    assert WebhookEndpoint.objects.get(pk=endpoint["id"]).is_active
    post_job(committed)  # the third failure disables it; its retry is not made

    disabled = WebhookEndpoint.objects.get(pk=endpoint["id"])
    assert not disabled.is_active and disabled.disabled_at is not None
    assert disabled.consecutive_failures == 3
    assert "3 failed deliveries in a row" in disabled.disabled_reason
    assert len(receiver.received) == 3
    event = ActivityEvent.objects.get(action_type="webhook_disabled")
    assert not event.is_public and event.snapshot["name"] == "127.0.0.1"  # the host only
    assert "/hooks/" not in json.dumps(event.snapshot)  # a path or query may hold a token
    assert disabled.disabled_reason.endswith("(the last: HTTP 500)")
    assert Notification.objects.filter(event=event, recipient=admin).exists()

    post_job(committed)  # nothing more goes to a disabled endpoint
    assert len(receiver.received) == 3

    # Enabled again by staff: failures cleared, deliveries resume.
    receiver.always = Answer(200)
    response = staff.patch(f"{BASE}{endpoint['id']}/", {"is_active": True}, format="json")
    assert response.status_code == 200
    assert response.json()["consecutive_failures"] == 0
    assert response.json()["disabled_reason"] == ""
    post_job(committed)
    receiver.wait_for(4)


def test_redelivery_sends_the_same_event_again(staff, receiver, committed) -> None:
    receiver.always = Answer(400)
    endpoint = register(staff, receiver.url)
    event = post_job(committed)
    (failed,) = attempts(endpoint["id"])

    receiver.always = Answer(200)
    with committed():
        response = staff.post(f"{BASE}{endpoint['id']}/deliveries/{failed.delivery_id}/redeliver/")
    assert response.status_code == 202
    again = response.json()
    assert again["trigger"] == "redelivery" and again["previous"] == str(failed.delivery_id)

    got = receiver.wait_for(2)
    assert json.loads(got[1].body)["id"] == event.pk
    assert got[1].headers["X-CollabHub-Delivery"] == again["id"]
    assert WebhookDelivery.objects.get(delivery_id=again["id"]).status == "succeeded"

    listed = staff.get(f"{BASE}{endpoint['id']}/deliveries/").json()
    assert [d["id"] for d in listed["results"]] == [again["id"], str(failed.delivery_id)]
    assert listed["results"][1]["response_code"] == 400
    failed_only = staff.get(f"{BASE}{endpoint['id']}/deliveries/?status=failed").json()
    assert [d["id"] for d in failed_only["results"]] == [str(failed.delivery_id)]


def test_redelivery_refuses_a_disabled_endpoint_and_unknown_deliveries(
    staff, receiver, committed
) -> None:
    endpoint = register(staff, receiver.url)
    post_job(committed)
    (delivery,) = attempts(endpoint["id"])
    other = register(staff, receiver.url)

    path = f"{BASE}{endpoint['id']}/deliveries/{delivery.delivery_id}/redeliver/"
    assert (
        staff.post(f"{BASE}{other['id']}/deliveries/{delivery.delivery_id}/redeliver/").status_code
        == 404
    )
    assert staff.post(path.replace(str(delivery.delivery_id), str(uuid.uuid4()))).status_code == 404
    staff.patch(f"{BASE}{endpoint['id']}/", {"is_active": False}, format="json")
    response = staff.post(path)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "webhook_disabled"


def test_deliveries_queued_for_an_endpoint_disabled_since_are_skipped(
    staff, receiver, committed
) -> None:
    endpoint = register(staff, receiver.url)
    event = ActivityEvent.objects.create(action_type="opportunity_posted", actor=None)
    services.deliveries_create(event=event)  # pending; its send is queued after commit
    WebhookEndpoint.objects.filter(pk=endpoint["id"]).update(is_active=False)
    (pending,) = attempts(endpoint["id"])

    assert services.delivery_attempt(delivery_id=pending.pk) == DeliveryStatus.SKIPPED
    assert receiver.received == []


def test_a_repeated_fan_out_delivers_once(staff, receiver, committed) -> None:
    endpoint = register(staff, receiver.url)
    event = post_job(committed)
    receiver.wait_for(1)
    ActivityEvent.objects.filter(pk=event.pk).update(dispatched_at=None)
    with committed():
        feed_services.event_fanout_run(event_id=event.pk)

    assert len(attempts(endpoint["id"])) == 1
    assert len(receiver.received) == 1


def test_the_outbox_sweep_sends_what_was_never_queued_and_what_a_dead_worker_left(
    staff, receiver
) -> None:
    endpoint = WebhookEndpoint.objects.get(pk=register(staff, receiver.url)["id"])
    event = ActivityEvent.objects.create(action_type="opportunity_posted", actor=None)
    long_ago = timezone.now() - timedelta(minutes=20)
    never_queued = WebhookDelivery.objects.create(
        endpoint=endpoint, event_id=event.pk, event_type="opportunity_posted", payload={"id": 1}
    )
    not_due = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=event.pk,
        event_type="opportunity_posted",
        payload={"id": 2},
        trigger=DeliveryTrigger.RETRY,
        scheduled_at=timezone.now() + timedelta(minutes=10),
    )
    interrupted = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=event.pk,
        event_type="opportunity_posted",
        payload={"id": 3},
        trigger=DeliveryTrigger.REDELIVERY,
        status=DeliveryStatus.SENDING,
        started_at=long_ago,
    )

    services.deliveries_redispatch()

    never_queued.refresh_from_db()
    assert never_queued.status == DeliveryStatus.SUCCEEDED
    interrupted.refresh_from_db()
    assert interrupted.status == DeliveryStatus.FAILED and interrupted.will_retry
    assert "worker was lost" in interrupted.error
    retry = WebhookDelivery.objects.get(previous_delivery=interrupted.delivery_id)
    assert retry.status == DeliveryStatus.PENDING and retry.attempt == 2
    not_due.refresh_from_db()
    assert not_due.status == DeliveryStatus.PENDING
    assert [json.loads(r.body)["id"] for r in receiver.received] == [1]


def test_deliveries_are_counted_in_metrics(staff, receiver, committed) -> None:
    def count(status: str) -> float:
        return DELIVERIES.labels(status=status)._value.get()

    before = count("succeeded"), count("failed")
    receiver.script = [Answer(500)]
    register(staff, receiver.url)
    post_job(committed)
    receiver.wait_for(2)
    assert (count("succeeded"), count("failed")) == (before[0] + 1, before[1] + 1)


@pytest.mark.django_db(transaction=True)
def test_with_no_broker_a_slow_receiver_does_not_slow_the_request(receiver, client_for) -> None:
    """The embedded defaults: the request that caused the event answers at once; a background
    thread delivers."""
    staff = client_for(UserFactory(is_staff=True))
    register(staff, receiver.url, event_types=["startup_followed"])
    receiver.always = Answer(200, delay=1.0)
    startup = StartupFactory()
    fan = client_for(UserFactory())
    with override_settings(WEBHOOKS_BACKGROUND=True):
        started = time.monotonic()
        response = fan.post(f"/api/v1/startups/{startup.pk}/follow/")
        took = time.monotonic() - started
        assert response.status_code in (200, 201), response.content
        assert took < 0.9
        receiver.wait_for(1)
        deadline = time.monotonic() + 5
        while WebhookDelivery.objects.filter(status="succeeded").count() < 1:
            assert time.monotonic() < deadline
            time.sleep(0.05)


@override_settings(EXTERNAL_WEBHOOK_URL="", EXTERNAL_WEBHOOK_SECRET="")
def test_external_webhook_url_is_a_built_in_subscription_to_every_event(
    staff, receiver, committed
) -> None:
    with override_settings(
        EXTERNAL_WEBHOOK_URL=receiver.url, EXTERNAL_WEBHOOK_SECRET="whsec_from_settings"
    ):
        post_job(committed)
        fan = UserFactory()
        with committed():
            feed_services.follow_create(follower=fan, target=StartupFactory())
        got = receiver.wait_for(2)
        assert [r.headers["X-CollabHub-Event"] for r in got] == [
            "opportunity_posted",
            "startup_followed",
        ]
        for request in got:
            assert signing.signature_verify(
                secret="whsec_from_settings",
                timestamp=request.headers["X-CollabHub-Timestamp"],
                body=request.body,
                header=request.headers["X-CollabHub-Signature"],
            )
        builtin = staff.get(BASE).json()["results"][0]
        assert builtin["builtin"] and builtin["url"] == receiver.url
        assert "secret" not in builtin
        assert builtin["event_types"] == ["*"]
        path = f"{BASE}{builtin['id']}/"
        assert staff.delete(path).status_code == 409
        assert staff.patch(path, {"url": "http://127.0.0.1:9/x"}, format="json").status_code == 409
        assert staff.patch(path, {"is_active": False}, format="json").status_code == 200

    # The setting removed: the built-in subscription stops.
    post_job(committed)
    assert len(receiver.received) == 2
    assert not WebhookEndpoint.objects.get(builtin=True).is_active


@override_settings(EXTERNAL_WEBHOOK_URL="https://hooks.example.com/in", EXTERNAL_WEBHOOK_SECRET="")
def test_an_external_url_without_its_secret_fails_the_system_check() -> None:
    with pytest.raises(SystemCheckError, match=r"webhooks\.E001"):
        call_command("check")


def test_backoff_doubles_with_jitter_and_honours_retry_after() -> None:
    for attempt in range(1, 8):
        full = min(30 * 2 ** (attempt - 1), 3600)
        waits = [services.backoff(attempt) for _ in range(50)]
        assert all(full / 2 <= wait <= full for wait in waits)
        assert len(set(waits)) > 1  # jitter
    assert services.backoff(9) <= 3600
    assert services.backoff(1, "7") == 7
    assert services.backoff(1, "99999") == 3600
    later = timezone.now() + timedelta(seconds=90)
    from email.utils import format_datetime

    assert 85 <= services.backoff(1, format_datetime(later, usegmt=True)) <= 91
    assert 15 <= services.backoff(1, "soon") <= 30  # not a number or a date: the backoff


def test_the_readme_receiver_snippet_verifies_a_real_delivery(staff, receiver, committed) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    snippet = next(
        block
        for block in re.findall(r"```python\n(.*?)```", readme, re.S)
        if "def verify(" in block
    )
    namespace: dict[str, Any] = {}
    exec(snippet, namespace)  # noqa: S102 - the README's own code
    verify = namespace["verify"]
    endpoint = register(staff, receiver.url)
    post_job(committed)
    (request,) = receiver.wait_for(1)
    stamp, sent = request.headers["X-CollabHub-Timestamp"], request.headers["X-CollabHub-Signature"]

    assert verify(endpoint["secret"], request.body, stamp, sent)
    assert not verify(endpoint["secret"], request.body + b" ", stamp, sent)
    assert not verify("whsec_other", request.body, stamp, sent)
    old = str(int(stamp) - 301)
    forged = signing.signature(secret=endpoint["secret"], timestamp=int(old), body=request.body)
    assert not verify(endpoint["secret"], request.body, old, forged)  # a replay, though signed


def test_the_deliveries_series_is_served_at_metrics() -> None:
    from observability.metrics import exposition

    assert b"# TYPE webhook_deliveries_total counter" in exposition()


def test_an_internationalised_host_is_sent_in_its_ascii_form(staff, receiver, committed) -> None:
    """The Host header carries the IDN's punycode (here resolved to the local receiver)."""
    from webhooks import transport

    target = transport.target_parse("https://bücher.example:8443/in?x=1")
    assert (target.host, target.authority, target.path) == (
        "xn--bcher-kva.example",
        "xn--bcher-kva.example:8443",
        "/in?x=1",
    )
    with pytest.raises(transport.UnsafeURL):
        transport.target_parse("http://" + "a" * 70 + ".example/in")  # a label IDNA refuses


def test_a_webhook_bug_does_not_cost_the_event_its_notifications(
    staff, receiver, committed, monkeypatch
) -> None:
    def broken(**kwargs):
        raise ValueError("a bug in building the payload")

    register(staff, receiver.url)
    monkeypatch.setattr(services, "payload_build", lambda event: broken())
    startup = StartupFactory()
    fan = UserFactory()
    feed_services.follow_create(follower=fan, target=startup)
    event = post_job(committed, startup)

    event.refresh_from_db()
    assert event.dispatched_at is not None
    assert Notification.objects.filter(event=event, recipient=fan).exists()
    assert not WebhookDelivery.objects.exists()


def test_an_endpoint_deleted_while_its_delivery_was_sent_ends_quietly(staff, receiver) -> None:
    endpoint = WebhookEndpoint.objects.get(pk=register(staff, receiver.url)["id"])
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event_id=1, event_type="opportunity_posted", payload={"id": 1}
    )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENDING)
    endpoint.delete()

    outcome = services.transport.Outcome(200, 5)
    assert services.delivery_finish(delivery=delivery, outcome=outcome, retry=True) is None


def test_an_attempt_the_sweep_finished_is_not_finished_again_by_a_late_worker(
    staff, receiver
) -> None:
    """A worker slower than the sweep thought: its outcome is dropped (one retry chain)."""
    endpoint = WebhookEndpoint.objects.get(pk=register(staff, receiver.url)["id"])
    late = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=1,
        event_type="opportunity_posted",
        payload={"id": 1},
        status=DeliveryStatus.SENDING,
        started_at=timezone.now() - timedelta(minutes=20),
        queued_at=timezone.now(),
    )
    with override_settings(WEBHOOKS_BACKGROUND=True):  # the sweep's retry is not sent here
        services.deliveries_redispatch()
    assert (
        services.delivery_finish(
            delivery=late, outcome=services.transport.Outcome(500, 5), retry=True
        )
        is None
    )
    late.refresh_from_db()
    assert late.status == DeliveryStatus.FAILED and "worker was lost" in late.error
    assert WebhookDelivery.objects.filter(previous_delivery=late.delivery_id).count() == 1
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).consecutive_failures == 1


def test_a_broker_down_when_the_fan_out_commits_leaves_deliveries_for_the_sweep(
    staff, receiver, committed, settings
) -> None:
    """The deliveries' own outbox: their send cannot be queued, they stay pending, and the
    sweep sends them once the broker is back."""
    from collabhub.celery import app
    from feed import outbox
    from observability.breaker import breakers_reset
    from tests.support import celery_pools_reset, free_port

    endpoint = register(staff, receiver.url)
    dead = f"redis://127.0.0.1:{free_port()}/0"
    app.conf.task_always_eager = False
    app.conf.broker_url = dead
    celery_pools_reset()
    breakers_reset()
    try:
        event = post_job(committed)  # its fan-out is not queued either ...
        outbox.publisher_drain()
        with committed():  # ... and runs here, as the re-dispatched task would, broker down
            feed_services.event_fanout_run(event_id=event.pk)
        (pending,) = attempts(endpoint["id"])
        assert pending.status == DeliveryStatus.PENDING and pending.queued_at is None
        assert receiver.received == []
    finally:
        app.conf.task_always_eager = True
        app.conf.broker_url = settings.CELERY_BROKER_URL
        celery_pools_reset()
        breakers_reset()

    assert services.deliveries_redispatch() == 1  # the broker is back (eager here)
    receiver.wait_for(1)
    pending.refresh_from_db()
    assert pending.status == DeliveryStatus.SUCCEEDED


def test_old_finished_deliveries_are_pruned_and_pending_ones_kept() -> None:
    from tests.webhooks.factories import WebhookDeliveryFactory

    old = timezone.now() - timedelta(days=31)
    done = WebhookDeliveryFactory(status=DeliveryStatus.SUCCEEDED, created_at=old)
    waiting = WebhookDeliveryFactory(status=DeliveryStatus.PENDING, created_at=old)
    recent = WebhookDeliveryFactory(status=DeliveryStatus.FAILED)

    assert services.deliveries_prune() == 1
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {waiting.pk, recent.pk}
    assert not WebhookDelivery.objects.filter(pk=done.pk).exists()
