"""Celery tasks of recommendations: the nightly feature-store rebuild and precompute."""

import logging

from celery import shared_task
from django.conf import settings

from accounts.models import User
from recommendations import features, selectors

logger = logging.getLogger(__name__)


@shared_task(name="recommendations.nightly")
def nightly() -> dict[str, int]:
    """Rebuild the feature store, then precompute for the recently active."""
    counts = features.features_rebuild()
    counts["precomputed"] = precompute_active(days=settings.RECOMMENDATIONS_PRECOMPUTE_DAYS)
    logger.info("recommendations rebuilt", extra={"counts": counts})
    return counts


def precompute_active(*, days: int) -> int:
    ids = features.recently_active_users(days)
    done = 0
    for user in User.objects.filter(pk__in=ids).iterator(chunk_size=500):
        selectors.recommendations_precompute(user=user)
        done += 1
    return done
