"""Probes at the root, for Kubernetes and humans: no auth, no throttling, no CSRF.

``/live/`` does no I/O. ``/ready/`` checks the database and migrations; ``/health/`` runs every
registered check. Each check is bounded by ``HEALTH_CHECK_TIMEOUT``.
"""

import secrets

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from observability.backends import backends_info
from observability.health import overall_status, results_as_dict, run_checks
from observability.metrics import business_metrics, exposition

PROMETHEUS_TYPES = ("text/plain", "application/openmetrics-text")

READINESS_CHECKS = ["database", "migrations"]


@csrf_exempt
@never_cache
@require_GET
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "alive"})


@csrf_exempt
@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    results = run_checks(READINESS_CHECKS)
    if overall_status(results) == "healthy":
        return JsonResponse({"status": "ready"})
    return JsonResponse({"status": "not_ready", "checks": results_as_dict(results)}, status=503)


@csrf_exempt
@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    results = run_checks()
    status = overall_status(results)
    body = {"status": status, "checks": results_as_dict(results), "backends": backends_info()}
    return JsonResponse(body, status=503 if status == "unhealthy" else 200)


@csrf_exempt
@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """JSON business metrics; the Prometheus text exposition when a scraper asks for it."""
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not secrets.compare_digest(given.encode(), token.encode()):
            body = {"error": {"code": "not_authenticated", "message": "Metrics need the token."}}
            response = JsonResponse(body, status=401)
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    accept = request.headers.get("Accept", "")
    if any(kind in accept for kind in PROMETHEUS_TYPES):
        return HttpResponse(exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")
    return JsonResponse(business_metrics())
