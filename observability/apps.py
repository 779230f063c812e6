import logging

from django.apps import AppConfig

logger = logging.getLogger("collabhub.startup")


class ObservabilityConfig(AppConfig):
    name = "observability"

    def ready(self) -> None:
        from observability.backends import backends_info
        from observability.health import register_default_checks

        register_default_checks()
        import observability.tasks  # noqa: F401  (connects the Celery signal handlers)

        logger.info("backends selected", extra={"backends": backends_info()})
