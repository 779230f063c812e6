"""Kubernetes probes. ``/live/`` does no I/O; ``/ready/`` checks the database and migrations."""

import logging

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

logger = logging.getLogger("collabhub.probes")


def _database_ready() -> tuple[bool, str]:
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:  # any failure means "not ready", never a 500
        logger.warning("readiness check failed", exc_info=exc)
        return False, f"database unavailable: {type(exc).__name__}"
    if pending:
        return False, f"{len(pending)} migrations not applied"
    return True, "ok"


@csrf_exempt
@never_cache
@require_GET
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "alive"})


@csrf_exempt
@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    ok, detail = _database_ready()
    if ok:
        return JsonResponse({"status": "ready"})
    return JsonResponse({"status": "not_ready", "checks": {"database": detail}}, status=503)
