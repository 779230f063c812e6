from celery import shared_task

from experiments import services


@shared_task(name="analytics.experiments_monitor")
def experiments_monitor() -> list[str]:
    return services.experiments_monitor()
