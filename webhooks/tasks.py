"""Celery tasks of webhooks: one delivery attempt, and the sweep of the deliveries' outbox."""

from celery import shared_task
from django.db import DatabaseError

from webhooks import services


@shared_task(
    name="webhooks.deliver",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_kwargs={"max_retries": 6},
)
def deliver(delivery_id: int) -> str | None:
    return services.delivery_attempt(delivery_id=delivery_id)


@shared_task(name="webhooks.deliveries_redispatch")
def deliveries_redispatch() -> int:
    return services.deliveries_redispatch()


@shared_task(name="webhooks.deliveries_prune")
def deliveries_prune() -> int:
    return services.deliveries_prune()
