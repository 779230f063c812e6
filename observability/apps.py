import logging

from django.apps import AppConfig

logger = logging.getLogger("collabhub.startup")


class ObservabilityConfig(AppConfig):
    name = "observability"

    def ready(self) -> None:
        from observability.backends import backends_info

        logger.info("backends selected", extra={"backends": backends_info()})
