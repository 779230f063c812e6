"""List and retrieve from rows: the hot path of the busiest read endpoints.

A view with ``RowsViewMixin`` filters, orders and paginates a queryset of ids (its filter
backends and pagination as usual), reads the page's rows as dicts with one selector call
(``.values()`` and grouped queries over the page's ids) and shapes each with a plain function
that outputs what the view's serializer would -- no serializer field machinery per row, no
model instances. ``?search=`` is ``search.apis.SearchListMixin``'s: it ranks the filtered
ids and reads the page's rows the same way, adding each one's score and snippet. The
serializer stays the reference and the OpenAPI schema
(``tests/platform/test_output_identity.py`` holds the two equal).
"""

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.http import Http404
from rest_framework.request import Request
from rest_framework.response import Response


class RowsViewMixin:
    def row_ids(self) -> QuerySet[Any]:
        """What the list filters, orders and paginates (only its ids are read)."""
        raise NotImplementedError

    def rows(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """The rows with these ids, in this order (missing or hidden ones left out)."""
        raise NotImplementedError

    def row_output(self, row: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if request.query_params.get("search", "").strip():  # the search app's mixin ranks
            return super().list(request, *args, **kwargs)  # type: ignore[misc,no-any-return]
        queryset = self.filter_queryset(self.row_ids())  # type: ignore[attr-defined]
        return self.rows_response(queryset.values_list("pk", flat=True))

    def rows_response(self, ids: Any) -> Response:
        """The page of ``ids`` (a queryset of ids, or any sequence the paginator slices) as
        the rows' output, paginated as the view paginates."""
        page = self.paginate_queryset(ids)  # type: ignore[attr-defined]
        output = [self.row_output(row) for row in self.rows(list(ids if page is None else page))]
        if page is None:
            return Response(output)
        return self.get_paginated_response(output)  # type: ignore[attr-defined,no-any-return]

    def row_get(self) -> dict[str, Any]:
        """The row the URL names (404 as ``get_object``: a missing id or one not an integer)."""
        view: Any = self
        value = view.kwargs[view.lookup_url_kwarg or view.lookup_field]
        try:
            pk = int(value)
        except (TypeError, ValueError):
            raise Http404 from None
        low, high = connection.ops.integer_field_range("BigAutoField")
        if not low <= pk <= high:  # no such row (and no overflow in the database's driver)
            raise Http404
        rows = self.rows([pk])
        if not rows:
            raise Http404
        return rows[0]
