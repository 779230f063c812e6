"""Outbound webhooks: endpoints staff point at external systems, and every attempt to deliver
an event to one of them.

A ``WebhookDelivery`` row is one attempt (its status, response code, duration, error). The
rows are also the outbox of the deliveries: one is written, ``pending``, in the transaction of
the event's fan-out; the task that sends it is queued after that commits, and a row a lost
task left ``pending`` is queued again by ``webhooks.deliveries_redispatch`` (Celery beat). A
retry is a new row (``trigger=retry``) scheduled after a backoff; a redelivery asked by staff
is a new row too (``trigger=redelivery``); each names the attempt it follows. Every row of one
event carries the same ``payload`` (its ``id`` is the event's, for the receiver to recognise a
repeat).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

ALL_EVENTS = "*"


def all_events() -> list[str]:
    return [ALL_EVENTS]


class WebhookEndpoint(models.Model):
    url = models.URLField(max_length=500, help_text="Where deliveries are POSTed.")
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(
        default=all_events, help_text='Action types delivered, or ["*"] for every event.'
    )
    include_private = models.BooleanField(
        default=False,
        help_text="Also deliver private events (messages, staff audit events, ...).",
    )
    secret = models.CharField(
        max_length=100, help_text="Signs deliveries (HMAC-SHA256); shown once, on creation."
    )
    is_active = models.BooleanField(default=True)
    builtin = models.BooleanField(
        default=False,
        editable=False,
        help_text="The subscription of EXTERNAL_WEBHOOK_URL (managed by settings).",
    )
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["builtin"], condition=Q(builtin=True), name="webhooks_one_builtin"
            )
        ]

    def __str__(self) -> str:
        return self.url

    def wants(self, *, action_type: str, is_public: bool) -> bool:
        if not is_public and not self.include_private:
            return False
        return ALL_EVENTS in self.event_types or action_type in self.event_types


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (endpoint disabled or deleted)"


class DeliveryTrigger(models.TextChoices):
    EVENT = "event", "Event"
    RETRY = "retry", "Retry"
    REDELIVERY = "redelivery", "Redelivery"


class WebhookDelivery(models.Model):
    delivery_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, help_text="X-CollabHub-Delivery."
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.BigIntegerField(help_text="The activity event delivered.")
    event_type = models.CharField(max_length=40)
    payload = models.JSONField(help_text="The body, the same for every attempt of one event.")
    trigger = models.CharField(
        max_length=12, choices=DeliveryTrigger.choices, default=DeliveryTrigger.EVENT
    )
    previous_delivery = models.UUIDField(
        null=True,
        blank=True,
        help_text="The delivery_id of the attempt this one retries or redelivers (a value, "
        "not a key: an endpoint's deliveries are deleted, and pruned, in one statement).",
    )
    attempt = models.PositiveSmallIntegerField(
        default=1, help_text="1 for the first try; retries count up (a redelivery starts at 1)."
    )
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    scheduled_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    will_retry = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["scheduled_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="webhooks_delivery_open",
            ),
            models.Index(fields=["endpoint", "-created_at"], name="webhooks_delivery_endpoint"),
        ]
        constraints = [
            # An event is given to an endpoint once by its fan-out (a repeated fan-out cannot
            # write it twice); retries and redeliveries are further rows.
            models.UniqueConstraint(
                fields=["endpoint", "event_id"],
                condition=Q(trigger="event"),
                name="webhooks_delivery_once_per_event",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.event_id} → {self.endpoint_id} ({self.status})"
