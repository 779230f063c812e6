"""Webhooks in the production shape (tests/faults/stack.py): events written while the broker
is down all reach the receiver once it is back (the event outbox, then the deliveries'),
signed; a receiver's 503 with Retry-After is retried by the worker no sooner than it asked.

Runs in the service-backed run (CI's PostgreSQL + Redis pass)."""

import json
import time

import pytest
from django.conf import settings

from feed.models import ActivityEvent
from tests.accounts.factories import FounderFactory
from tests.faults.stack import Stack, post_jobs
from tests.startups.factories import StartupFactory
from tests.webhooks.receiver import Answer, Receiver
from webhooks import signing
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(300),
    pytest.mark.skipif(
        settings.DATABASE_VENDOR != "postgresql",
        reason="production shape on PostgreSQL: runs in the service-backed run",
    ),
]

SECRET = "whsec_outage"


def test_a_broker_outage_loses_no_webhook_and_retry_after_is_honoured(stack: Stack) -> None:
    founder = FounderFactory()
    startup = StartupFactory(owner=founder)
    with Receiver() as receiver:
        receiver.script = [Answer(503, {"Retry-After": "2"})]  # the first delivery: later
        WebhookEndpoint.objects.create(
            url=receiver.url, secret=SECRET, event_types=["opportunity_posted"]
        )

        stack.broker.stop()
        written = post_jobs(stack, founder, startup, 20)
        assert {status for status, _ in written} == {201}
        time.sleep(1)
        assert receiver.received == []  # nothing can be queued while the broker is away

        stack.broker.start()  # same port: the sweeps queue the fan-outs, then the deliveries
        got = receiver.wait_for(21, timeout=120)  # 20 events, one of them twice (the 503)

        events = set(
            ActivityEvent.objects.filter(action_type="opportunity_posted").values_list(
                "pk", flat=True
            )
        )
        bodies = [json.loads(request.body) for request in got]
        assert {body["id"] for body in bodies} == events
        for request in got:
            assert signing.signature_verify(
                secret=SECRET,
                timestamp=request.headers["X-CollabHub-Timestamp"],
                body=request.body,
                header=request.headers["X-CollabHub-Signature"],
            )
        first = got[0]
        again = next(
            request
            for request in got[1:]
            if json.loads(request.body)["id"] == json.loads(first.body)["id"]
        )
        assert again.at - first.at >= 1.9  # Retry-After: 2

        deadline = time.monotonic() + 30
        succeeded = WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED)
        while succeeded.count() < 20 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert sorted(succeeded.values_list("event_id", flat=True)) == sorted(events)
        assert WebhookDelivery.objects.filter(status=DeliveryStatus.FAILED).count() == 1
