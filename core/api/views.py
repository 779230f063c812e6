"""Django-level error views (outside DRF), so even a bad URL answers with the envelope -- or,
for a browser asking for a page outside the API, the site's own error page (the web app's
``errors/404.html`` and ``errors/500.html``, when it provides them)."""

import sys
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import TemplateDoesNotExist, loader

from core.api.exceptions import (
    RETRY_AFTER_SECONDS,
    ServiceUnavailable,
    database_unavailable,
    error_body,
)

# Paths that answer machines: JSON errors whatever the client accepts.
MACHINE_PATHS = ("/api/", "/live/", "/ready/", "/health/", "/metrics/", "/ws/")


def _page(
    request: HttpRequest, name: str, status: int, context: bool = True
) -> HttpResponse | None:
    """The HTML error page for a browser's page request; None for everything else."""
    if request.path.startswith(MACHINE_PATHS) or "text/html" not in request.headers.get(
        "Accept", ""
    ):
        return None
    try:
        template = loader.get_template(name)
        # A 500 renders without the request: whatever failed may fail again in its context.
        return HttpResponse(template.render({}, request if context else None), status=status)
    except TemplateDoesNotExist:
        return None
    except Exception:  # the page itself failing must not hide the error behind another
        return None


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    page = _page(request, "errors/404.html", 404)
    return page or JsonResponse(error_body("not_found", "Not found."), status=404)


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Django calls this while handling the exception: a database that is not answering (in a
    middleware or a plain view) is a 503 the client can retry, not a 500."""
    if database_unavailable(sys.exc_info()[1]):
        body = error_body("service_unavailable", str(ServiceUnavailable.default_detail))
        response = JsonResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    page = _page(request, "errors/500.html", 500, context=False)
    return page or JsonResponse(
        error_body("server_error", "An unexpected error occurred."), status=500
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body("bad_request", "Bad request."), status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body("permission_denied", "Permission denied."), status=403)
