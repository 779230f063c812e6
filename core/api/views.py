"""Django-level error views (outside DRF), so even a bad URL answers with the envelope."""

import sys
from typing import Any

from django.http import HttpRequest, JsonResponse

from core.api.exceptions import (
    RETRY_AFTER_SECONDS,
    ServiceUnavailable,
    database_unavailable,
    error_body,
)


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body("not_found", "Not found."), status=404)


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Django calls this while handling the exception: a database that is not answering (in a
    middleware or a plain view) is a 503 the client can retry, not a 500."""
    if database_unavailable(sys.exc_info()[1]):
        body = error_body("service_unavailable", str(ServiceUnavailable.default_detail))
        response = JsonResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return JsonResponse(error_body("server_error", "An unexpected error occurred."), status=500)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body("bad_request", "Bad request."), status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body("permission_denied", "Permission denied."), status=403)
