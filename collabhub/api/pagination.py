from typing import Any

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
