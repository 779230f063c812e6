"""One exception handler for the whole API: every error becomes the same envelope.

{"error": {"code": "...", "message": "...", "fields": {...}}, "request_id": "..."}
"""

import logging
from typing import Any

import psycopg
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError, connection
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import ApplicationError
from observability.context import request_id_get
from observability.metrics import exception_record

logger = logging.getLogger("collabhub.api")


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "error": {"code": code, "message": message, "fields": fields or {}},
        "request_id": request_id_get(),
    }


RETRY_AFTER_SECONDS = 5


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` says the database is unreachable, frozen (past the query deadline),
    restarting or busy -- the request is fine, the service is not, for now (503). Other
    operational errors (a missing table, too many variables) are bugs: they stay 500s."""
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    if connection.vendor == "sqlite":
        return "database is locked" in str(exc)
    if isinstance(exc.__cause__, psycopg.errors.QueryCanceled | psycopg.errors.AdminShutdown):
        return True  # the statement timeout, or the server shutting down
    pg = connection.connection
    return pg is None or bool(pg.closed) or pg.broken


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = (
        "The service is briefly unavailable (its database is not answering). Try again shortly."
    )
    default_code = "service_unavailable"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def _not_found_code(context: dict[str, Any]) -> str:
    """``startup_not_found`` rather than ``not_found`` when the view knows its model."""
    queryset = getattr(context.get("view"), "queryset", None)
    if queryset is not None:
        return f"{queryset.model._meta.model_name}_not_found"
    return "not_found"


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_message(value)
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(code=_not_found_code(context))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif database_unavailable(exc):
        logger.warning(
            "database unavailable", extra={"error": f"{type(exc).__name__}: {exc}"[:300]}
        )
        exc = ServiceUnavailable()

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.error("unhandled error in API view", exc_info=exc)
        exception_record(exc)
        response = Response(
            error_body("server_error", "An unexpected error occurred."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
        # Logged once, here with the traceback: Django's django.request line is skipped.
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response

    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        message = _first_message(exc.detail)
        code = "validation_error"
    elif isinstance(exc, exceptions.APIException):
        fields = {}
        detail = exc.detail
        # simplejwt puts {"detail", "code", "messages"} in the detail of its token errors.
        if isinstance(detail, dict):
            message = str(detail.get("detail") or _first_message(detail))
        else:
            message = str(detail)
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else str(exc.default_code)
        if isinstance(detail, dict) and isinstance(detail.get("code"), str):
            code = str(detail["code"])
    else:
        fields, message, code = {}, "Error.", "error"
    response.data = error_body(str(code), message, fields)
    if isinstance(exc, ServiceUnavailable):
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
