"""Which backends this process runs on: chosen once from the settings at start-up."""

from django.conf import settings


def backends_info() -> dict[str, str]:
    celery = "eager (in-process)" if settings.CELERY_TASK_ALWAYS_EAGER else "broker"
    return {
        "database": settings.DATABASE_VENDOR,
        "cache": "redis" if settings.REDIS_AVAILABLE else "local-memory",
        "channel_layer": "redis" if settings.REDIS_AVAILABLE else "in-memory",
        "celery": celery,
    }
