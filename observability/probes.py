"""Probes at the root, for Kubernetes and humans: no throttling, no CSRF, no TLS redirect.

``/live/`` does no I/O. ``/ready/`` checks the database and migrations; ``/health/`` runs every
registered check. Each check is bounded by ``HEALTH_CHECK_TIMEOUT``. Their status (and HTTP
status code) is public; which check failed and why (exception text, host names) is shown only
to a request carrying ``METRICS_TOKEN`` as a bearer token -- or to anyone in DEBUG when no
token is configured (a developer's machine). ``/metrics/`` needs the token whenever one is
configured, and always when DEBUG is off (settings refuse to start without one then).
"""

import secrets

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from observability.backends import backends_info
from observability.context import request_id_get
from observability.health import overall_status, results_as_dict, run_checks
from observability.metrics import business_metrics, exposition

PROMETHEUS_TYPES = ("text/plain", "application/openmetrics-text")

READINESS_CHECKS = ["database", "migrations"]


def _bearer_token_valid(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return False
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return secrets.compare_digest(given.encode(), token.encode())


def ops_detail_allowed(request: HttpRequest) -> bool:
    """Whether ``request`` may see the ops detail (failed checks, backends) and metrics."""
    if not settings.METRICS_TOKEN:
        return bool(settings.DEBUG)  # a developer's machine; never a production start
    return _bearer_token_valid(request)


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
    body: dict[str, object] = {"status": "not_ready"}
    if ops_detail_allowed(request):
        body["checks"] = results_as_dict(results)
    return JsonResponse(body, status=503)


@csrf_exempt
@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    results = run_checks()
    status = overall_status(results)
    body: dict[str, object] = {"status": status}
    if ops_detail_allowed(request):
        body.update(checks=results_as_dict(results), backends=backends_info())
    return JsonResponse(body, status=503 if status == "unhealthy" else 200)


@csrf_exempt
@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """JSON business metrics; the Prometheus text exposition when a scraper asks for it."""
    if not ops_detail_allowed(request):
        error = {
            "code": "not_authenticated",
            "message": "Metrics need the METRICS_TOKEN as a bearer token.",
            "fields": {},
        }
        response = JsonResponse({"error": error, "request_id": request_id_get()}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    accept = request.headers.get("Accept", "")
    if any(kind in accept for kind in PROMETHEUS_TYPES):
        return HttpResponse(exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")
    return JsonResponse(business_metrics())
