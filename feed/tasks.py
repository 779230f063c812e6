"""Celery tasks of the feed: the fan-out of one event and the outbox sweep (Celery beat).

At-least-once: tasks are acked late and requeued if a worker dies (settings), retried with
backoff on database errors, and idempotent (``event_fanout_run``).
"""

from celery import shared_task
from django.db import DatabaseError

from feed import services


@shared_task(
    name="feed.event_fanout",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=300,
    retry_kwargs={"max_retries": 6},
)
def event_fanout(event_id: int) -> int:
    return services.event_fanout_run(event_id=event_id)


@shared_task(name="feed.events_redispatch")
def events_redispatch() -> int:
    return services.events_redispatch()
