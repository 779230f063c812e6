import logging

from django.apps import AppConfig

logger = logging.getLogger("collabhub.startup")


class ObservabilityConfig(AppConfig):
    name = "observability"

    def ready(self) -> None:
        from django.core.signals import request_finished
        from django.db.backends.signals import connection_created

        from observability import connections
        from observability.backends import backends_info
        from observability.health import register_default_checks
        from observability.metrics import before_scrape_register, scrape_collector_register
        from observability.queues import CeleryQueueCollector

        register_default_checks()
        import observability.tasks  # noqa: F401  (connects the Celery signal handlers)

        # After Django's own request_finished receiver (close_old_connections, connected
        # when django.db was imported): counts what is still open once it has run.
        connection_created.connect(connections.connection_opened, dispatch_uid="obs-db-open")
        request_finished.connect(connections.db_connections_refresh, dispatch_uid="obs-db-req")
        before_scrape_register(connections.db_connections_refresh)
        scrape_collector_register(CeleryQueueCollector())

        logger.info("backends selected", extra={"backends": backends_info()})
