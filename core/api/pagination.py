from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection
from rest_framework import exceptions, pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """``{count, next, previous, results}``; 20 per page by default, ``page_size`` at most 50."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 50

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound as exc:  # a page past the end is not a missing object
            raise exceptions.NotFound(str(exc.detail), code="invalid_page") from exc


class InvalidCursor(exceptions.APIException):
    status_code = 400
    default_detail = "Invalid cursor."
    default_code = "invalid_cursor"


class CursorPagination(pagination.CursorPagination):
    """DRF's cursor pagination; a cursor that was not made by us (bad base64, a position that
    is not a value of the ordering field, a number out of range) is a 400 ``invalid_cursor``,
    never a query that fails (500)."""

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Any) -> pagination.Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise InvalidCursor() from exc
        if cursor is not None and cursor.position is not None:
            field_name = str(self.ordering[0]).lstrip("-")
            field = self._model._meta.get_field(field_name)
            try:
                value = field.to_python(cursor.position)
                if isinstance(value, int):
                    low, high = connection.ops.integer_field_range("BigIntegerField")
                    if not low <= value <= high:
                        raise ValueError("out of range")
                elif isinstance(value, datetime):
                    value.astimezone(UTC)  # an offset that overflows at year 1 or 9999
            except (DjangoValidationError, ValueError, OverflowError, TypeError) as exc:
                raise InvalidCursor() from exc
        return cursor
