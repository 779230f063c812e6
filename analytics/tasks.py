from celery import shared_task

from analytics import services


@shared_task(name="analytics.insights_refresh")
def insights_refresh() -> dict[str, int]:
    return services.insights_refresh()


@shared_task(name="analytics.rollups_prune")
def rollups_prune() -> int:
    return services.rollups_prune()
