"""Writes of webhooks: endpoints, and the delivery of events to them.

An event reaches the endpoints that want it in its fan-out (``receivers.event_dispatched``):
one ``pending`` row per endpoint, written in the fan-out's transaction, whose sending is
queued after it commits. ``delivery_attempt`` claims a pending row (one worker sends it, even
if its task was queued twice), POSTs the signed body, and records the outcome; a network
error, a 5xx or a 429 is retried by a new row after an exponential backoff with jitter (or
the receiver's ``Retry-After``), another 4xx or a redirect is not. An endpoint failing
``WEBHOOKS_DISABLE_AFTER`` attempts in a row is disabled, and staff are told by an event.
"""

import json
import logging
import random
import secrets
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from feed.models import ActivityEvent
from feed.serializers import EventSerializer
from observability.breaker import breaker
from webhooks import events, metrics, signing, transport
from webhooks.exceptions import BuiltinEndpoint, EndpointDisabled
from webhooks.models import (
    ALL_EVENTS,
    DeliveryStatus,
    DeliveryTrigger,
    WebhookDelivery,
    WebhookEndpoint,
)

logger = logging.getLogger("collabhub.webhooks")

USER_AGENT = "CollabHub-Webhooks/1"
COUNTDOWN_MAX = 300  # a longer wait is left to the re-dispatcher (no long ETA in the broker)
LOST_AFTER = timedelta(minutes=5)  # queued (or sending) this long past its time: lost
REDISPATCH_BATCH = 500


def secret_generate() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


# --- endpoints ------------------------------------------------------------------------------
@transaction.atomic
def endpoint_create(*, by: User | None, data: dict[str, Any]) -> WebhookEndpoint:
    """A new endpoint with a generated secret (the API shows it in this response only)."""
    return WebhookEndpoint.objects.create(
        url=data["url"],
        description=data.get("description", ""),
        event_types=list(data.get("event_types") or [ALL_EVENTS]),
        include_private=data.get("include_private", False),
        is_active=data.get("is_active", True),
        secret=secret_generate(),
        created_by=by,
    )


@transaction.atomic
def endpoint_update(*, endpoint: WebhookEndpoint, data: dict[str, Any]) -> WebhookEndpoint:
    """Change an endpoint; enabling it again clears its failures. The built-in one (the
    setting's) can only be enabled or disabled."""
    if endpoint.builtin and set(data) - {"is_active"}:
        raise BuiltinEndpoint()
    for field in ("url", "description", "event_types", "include_private", "is_active"):
        if field in data:
            setattr(endpoint, field, data[field])
    if data.get("is_active"):
        endpoint.consecutive_failures = 0
        endpoint.disabled_at = None
        endpoint.disabled_reason = ""
    endpoint.save()
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    if endpoint.builtin:
        raise BuiltinEndpoint()
    endpoint.delete()


_builtin_synced: tuple[str, str, bool] | None = None
_builtin_lock = threading.Lock()


def builtin_endpoint_sync() -> None:
    """Make the built-in endpoint match ``EXTERNAL_WEBHOOK_URL`` (every event, signed with
    ``EXTERNAL_WEBHOOK_SECRET``); once per process and configuration. Unset: it is disabled.
    A URL without its secret is refused (a system check says so at start)."""
    wanted = (
        settings.EXTERNAL_WEBHOOK_URL,
        settings.EXTERNAL_WEBHOOK_SECRET,
        settings.EXTERNAL_WEBHOOK_PRIVATE,
    )
    if _builtin_synced == wanted:
        return
    url, secret, private = wanted
    with _builtin_lock, transaction.atomic():
        current = WebhookEndpoint.objects.select_for_update().filter(builtin=True).first()
        if not url or not secret:
            if url:
                logger.error("EXTERNAL_WEBHOOK_URL is set without EXTERNAL_WEBHOOK_SECRET")
            if current is not None and current.is_active:
                current.is_active = False
                current.disabled_reason = "EXTERNAL_WEBHOOK_URL is not set"
                current.disabled_at = timezone.now()
                current.save()
        elif current is None:
            WebhookEndpoint.objects.create(
                builtin=True,
                url=url,
                secret=secret,
                include_private=private,
                event_types=[ALL_EVENTS],
                description="EXTERNAL_WEBHOOK_URL",
            )
        elif (current.url, current.secret, current.include_private) != wanted or (
            current.disabled_reason == "EXTERNAL_WEBHOOK_URL is not set"
        ):
            changed = current.url != url or not current.is_active
            current.url, current.secret, current.include_private = url, secret, private
            current.event_types = [ALL_EVENTS]
            if changed:  # a new address (or the setting back) starts afresh
                current.is_active, current.consecutive_failures = True, 0
                current.disabled_at, current.disabled_reason = None, ""
            current.save()
    transaction.on_commit(partial(_builtin_synced_set, wanted))


def _builtin_synced_set(wanted: tuple[str, str, bool]) -> None:
    global _builtin_synced
    _builtin_synced = wanted


# --- deliveries -----------------------------------------------------------------------------
def payload_build(event: ActivityEvent) -> dict[str, Any]:
    """The body: the event as the feed API shows it (no recipients, no audience)."""
    data = dict(EventSerializer(event).data)
    return {
        "id": event.pk,
        "type": event.action_type,
        "created_at": data["created_at"],
        "data": data,
    }


def deliveries_create(*, event: ActivityEvent) -> list[WebhookDelivery]:
    """In the event's fan-out transaction: a pending delivery for every active endpoint that
    wants it; their sending is queued once that commits."""
    builtin_endpoint_sync()
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(is_active=True)
        if endpoint.wants(action_type=event.action_type, is_public=event.is_public)
    ]
    if not endpoints:
        return []
    payload = payload_build(event)
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=endpoint, event_id=event.pk, event_type=event.action_type, payload=payload
            )
            for endpoint in endpoints
        ],
        ignore_conflicts=True,  # a fan-out run twice (a race past its mark) writes them once
    )
    rows = list(
        WebhookDelivery.objects.filter(
            event_id=event.pk, trigger=DeliveryTrigger.EVENT, endpoint__in=endpoints
        )
    )
    ids = [row.pk for row in rows if row.status == DeliveryStatus.PENDING]
    transaction.on_commit(partial(deliveries_queue, ids=ids), robust=True)
    return rows


_local: ThreadPoolExecutor | None = None
_local_lock = threading.Lock()


def _local_run(delivery_id: int) -> None:
    close_old_connections()
    try:
        delivery_attempt(delivery_id=delivery_id)
    except Exception:
        logger.exception("webhook delivery failed", extra={"delivery": delivery_id})
    finally:
        close_old_connections()


def _local_submit(delivery_id: int) -> None:
    global _local
    with _local_lock:
        if _local is None:
            _local = ThreadPoolExecutor(max_workers=2, thread_name_prefix="webhooks")
        _local.submit(_local_run, delivery_id)


def deliveries_queue(*, ids: Iterable[int], delay: float = 0) -> int:
    """Send these deliveries (after ``delay`` seconds): as Celery tasks, or with no broker in
    this process -- in a background thread (``WEBHOOKS_BACKGROUND``) or at once. A broker that
    refuses leaves them pending for ``deliveries_redispatch``. Returns how many were queued."""
    from webhooks.tasks import deliver

    ids = list(ids)
    if current_app.conf.task_always_eager:
        for delivery_id in ids:
            if not settings.WEBHOOKS_BACKGROUND:
                # At once, as eager Celery runs a task with a countdown: a retry's wait is
                # recorded (scheduled_at) but not waited.
                delivery_attempt(delivery_id=delivery_id, wait=False)
            elif delay > 0:
                timer = threading.Timer(delay, _local_submit, (delivery_id,))
                timer.daemon = True
                timer.start()
            else:
                _local_submit(delivery_id)
        WebhookDelivery.objects.filter(pk__in=ids).update(queued_at=timezone.now())
        return len(ids)
    if delay > COUNTDOWN_MAX:
        return 0  # deliveries_redispatch queues it when it is due
    guard = breaker("broker")
    queued = []
    for delivery_id in ids:
        if not guard.allow():
            break
        try:
            deliver.apply_async((delivery_id,), countdown=delay, retry=False)
        except Exception as exc:
            guard.failure(exc)
            logger.warning(
                "webhook delivery not queued; it will be re-dispatched",
                extra={"delivery": delivery_id, "error": f"{type(exc).__name__}: {exc}"[:300]},
            )
            break
        guard.success()
        queued.append(delivery_id)
    WebhookDelivery.objects.filter(pk__in=queued).update(queued_at=timezone.now())
    return len(queued)


def backoff(attempt: int, retry_after: str | None = None) -> float:
    """Seconds before attempt ``attempt + 1``: the receiver's ``Retry-After`` (seconds or an
    HTTP date) if it gave one, else ``WEBHOOKS_RETRY_BASE`` doubled per attempt, half of it
    random (jitter: retries of many deliveries do not arrive together); at most
    ``WEBHOOKS_RETRY_MAX_DELAY``."""
    ceiling = float(settings.WEBHOOKS_RETRY_MAX_DELAY)
    if retry_after:
        wait: float | None
        try:
            wait = float(int(retry_after.strip()))
        except ValueError:
            try:
                when = parsedate_to_datetime(retry_after)
                wait = (when - timezone.now()).total_seconds()
            except (TypeError, ValueError, OverflowError):
                wait = None
        if wait is not None:
            return min(max(wait, 0.0), ceiling)
    full = min(settings.WEBHOOKS_RETRY_BASE * 2 ** (attempt - 1), ceiling)
    return full / 2 + random.uniform(0, full / 2)  # noqa: S311 - jitter, not a secret


def _retryable(outcome: transport.Outcome) -> bool:
    return outcome.status is None or outcome.status >= 500 or outcome.status == 429


def delivery_attempt(*, delivery_id: int, wait: bool = True) -> str | None:
    """Send one pending delivery, if it is still pending (another worker may have it) and
    due (or ``wait`` is off); returns its new status, or None if there was nothing to do."""
    now = timezone.now()
    pending = WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING)
    if wait:
        pending = pending.filter(scheduled_at__lte=now + timedelta(seconds=2))
    claimed = pending.update(status=DeliveryStatus.SENDING, started_at=now)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        delivery.status, delivery.finished_at = DeliveryStatus.SKIPPED, timezone.now()
        delivery.error = endpoint.disabled_reason or "endpoint disabled"
        delivery.save(update_fields=["status", "finished_at", "error"])
        return delivery.status
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-CollabHub-Event": delivery.event_type,
        "X-CollabHub-Delivery": str(delivery.delivery_id),
        "X-CollabHub-Timestamp": str(timestamp),
        "X-CollabHub-Signature": signing.signature(
            secret=endpoint.secret, timestamp=timestamp, body=body
        ),
    }
    try:
        outcome = transport.post(
            endpoint.url,
            body=body,
            headers=headers,
            timeout=settings.WEBHOOKS_TIMEOUT,
            allow_private=settings.WEBHOOKS_ALLOW_PRIVATE,
        )
        retry = _retryable(outcome)
    except transport.UnsafeURL as exc:  # where the URL points now is refused: no retry
        outcome, retry = transport.Outcome(None, 0, str(exc)[:300]), False
    except Exception as exc:  # a bug of ours: recorded on the attempt, and retried
        logger.exception("webhook send failed", extra={"delivery": str(delivery.delivery_id)})
        outcome, retry = transport.Outcome(None, 0, f"internal error: {exc!r}"[:300]), True
    return delivery_finish(delivery=delivery, outcome=outcome, retry=retry)


def _failure_said(outcome: transport.Outcome) -> str:
    """An attempt's failure in a few words, for staff's feed (not the receiver's answer)."""
    return f"HTTP {outcome.status}" if outcome.status is not None else "no answer"


def delivery_finish(
    *, delivery: WebhookDelivery, outcome: transport.Outcome, retry: bool
) -> str | None:
    """Record the outcome of an attempt that is still ``sending`` (the sweep may have
    finished it already, or its endpoint been deleted: then nothing is done); schedule the
    next attempt, or disable the endpoint."""
    succeeded = outcome.status is not None and 200 <= outcome.status < 300
    with transaction.atomic():
        endpoint = (
            WebhookEndpoint.objects.select_for_update().filter(pk=delivery.endpoint_id).first()
        )
        still_sending = WebhookDelivery.objects.select_for_update().filter(
            pk=delivery.pk, status=DeliveryStatus.SENDING
        )
        if endpoint is None or not still_sending.exists():
            return None
        delivery.status = DeliveryStatus.SUCCEEDED if succeeded else DeliveryStatus.FAILED
        delivery.response_code = outcome.status
        delivery.duration_ms = outcome.duration_ms
        delivery.error = "" if succeeded else (outcome.error or f"HTTP {outcome.status}")
        delivery.finished_at = timezone.now()
        if succeeded:
            if endpoint.consecutive_failures:
                endpoint.consecutive_failures = 0
                endpoint.save(update_fields=["consecutive_failures", "updated_at"])
        else:
            endpoint.consecutive_failures += 1
            endpoint.save(update_fields=["consecutive_failures", "updated_at"])
            limit = settings.WEBHOOKS_DISABLE_AFTER
            if endpoint.is_active and endpoint.consecutive_failures >= limit:
                endpoint.is_active = False
                endpoint.disabled_at = timezone.now()
                endpoint.disabled_reason = (
                    f"{endpoint.consecutive_failures} failed deliveries in a row "
                    f"(the last: {_failure_said(outcome)})"
                )
                endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
                events.webhook_disabled_record(endpoint=endpoint)
                logger.warning("webhook endpoint disabled", extra={"endpoint": endpoint.pk})
        delivery.will_retry = bool(
            not succeeded
            and retry
            and endpoint.is_active
            and delivery.attempt < settings.WEBHOOKS_MAX_ATTEMPTS
        )
        delivery.save(
            update_fields=[
                "status",
                "response_code",
                "duration_ms",
                "error",
                "finished_at",
                "will_retry",
            ]
        )
        if delivery.will_retry:
            delay = backoff(delivery.attempt, outcome.retry_after)
            following = WebhookDelivery.objects.create(
                endpoint_id=delivery.endpoint_id,
                event_id=delivery.event_id,
                event_type=delivery.event_type,
                payload=delivery.payload,
                trigger=DeliveryTrigger.RETRY,
                previous_delivery=delivery.delivery_id,
                attempt=delivery.attempt + 1,
                scheduled_at=timezone.now() + timedelta(seconds=delay),
            )
            transaction.on_commit(
                partial(deliveries_queue, ids=[following.pk], delay=delay), robust=True
            )
    metrics.DELIVERIES.labels(status=delivery.status).inc()
    logger.info(
        "webhook delivered" if succeeded else "webhook delivery failed",
        extra={
            "delivery": str(delivery.delivery_id),
            "endpoint": delivery.endpoint_id,
            "status": outcome.status,
            "duration_ms": outcome.duration_ms,
            "will_retry": delivery.will_retry,
        },
    )
    return str(delivery.status)


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery's event again, now, as a new delivery (with its own retries)."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    if not endpoint.is_active:
        raise EndpointDisabled()
    again = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        payload=delivery.payload,
        trigger=DeliveryTrigger.REDELIVERY,
        previous_delivery=delivery.delivery_id,
    )
    from feed.outbox import publish_soon  # off the request path, as the feed publishes

    transaction.on_commit(partial(publish_soon, deliveries_queue, ids=[again.pk]), robust=True)
    return again


REDISPATCH_BATCHES = 20  # at most this many batches a run


def deliveries_redispatch(*, now: datetime | None = None) -> int:
    """Celery beat: queue what is due and has no live task -- never queued (the broker was
    down, or the wait was too long for a countdown) or queued so long ago that the task is
    lost -- and finish as failed (retried) a send whose worker died (a send cannot outlive
    ``WEBHOOKS_TIMEOUT``). Batches run until none is left or the broker refuses."""
    now = now or timezone.now()
    stale_send = now - LOST_AFTER - timedelta(seconds=settings.WEBHOOKS_TIMEOUT)
    interrupted = transport.Outcome(None, 0, "interrupted: the sending worker was lost")
    for delivery in WebhookDelivery.objects.filter(
        status=DeliveryStatus.SENDING, started_at__lt=stale_send
    )[:REDISPATCH_BATCH]:
        delivery_finish(delivery=delivery, outcome=interrupted, retry=True)
    due = WebhookDelivery.objects.filter(
        Q(queued_at__isnull=True) | Q(queued_at__lt=now - LOST_AFTER),
        status=DeliveryStatus.PENDING,
        scheduled_at__lte=now,
    ).order_by("scheduled_at", "pk")
    queued = 0
    for _ in range(REDISPATCH_BATCHES):
        ids = list(due.values_list("pk", flat=True)[:REDISPATCH_BATCH])
        if not ids:
            break
        accepted = deliveries_queue(ids=ids)
        queued += accepted
        logger.info("webhook deliveries re-dispatched", extra={"due": len(ids), "queued": accepted})
        if accepted < len(ids) or len(ids) < REDISPATCH_BATCH:
            break  # the broker refuses, or none is left: the next run goes on
    return queued


def deliveries_prune(*, now: datetime | None = None) -> int:
    """Celery beat, daily: finished attempts older than ``WEBHOOKS_KEEP_DAYS``."""
    before = (now or timezone.now()) - timedelta(days=settings.WEBHOOKS_KEEP_DAYS)
    finished = [DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED, DeliveryStatus.SKIPPED]
    deleted = 0
    while True:
        ids = list(
            WebhookDelivery.objects.filter(status__in=finished, created_at__lt=before).values_list(
                "pk", flat=True
            )[:REDISPATCH_BATCH]
        )
        if not ids:
            return deleted
        deleted += WebhookDelivery.objects.filter(pk__in=ids).delete()[0]
