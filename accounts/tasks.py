"""Celery tasks of accounts: the daily prune of expired refresh tokens."""

from celery import shared_task

from accounts import services


@shared_task(name="accounts.tokens_prune")
def tokens_prune() -> int:
    return services.tokens_expired_prune()
