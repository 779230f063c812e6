"""The search API: ``?search=`` on list endpoints (``SearchListMixin``), the one search box
over the registered groups (``SearchApi``) and the backend report (``SearchBackendApi``).

With ``?search=`` and without ``ordering`` a list's page is in relevance order and each item
carries ``search_score`` and a highlighted ``search_snippet``; with ``ordering`` the matches
are ordered as asked.
"""

from collections.abc import Sequence
from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from core.api.rows import RowsViewMixin
from core.api.validation import validate_input
from search import engine
from search.backends.base import Hit
from search.groups import search_group_list
from search.indexes import SearchIndex
from search.results import ranked_rows
from search.serializers import SearchInputSerializer, SearchOutputSerializer


class SearchListMixin:
    """``?search=`` on a list. A view with ``RowsViewMixin`` (``core.api.rows``) searches its
    filtered ids and reads only the page's rows as dicts; another view, its queryset with the
    serializer (``SearchResults`` loads the page's instances)."""

    search_index: SearchIndex

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = request.query_params.get("search", "")
        if not query.strip():
            return super().list(request, *args, **kwargs)  # type: ignore[misc,no-any-return]
        ordered = bool(request.query_params.get(api_settings.ORDERING_PARAM))
        if isinstance(self, RowsViewMixin):
            ids = self.filter_queryset(self.row_ids())  # type: ignore[attr-defined]
            if ordered:
                matches = engine.filter_matches(self.search_index, ids, query)
                return self.rows_response(matches.values_list("pk", flat=True))
            return self._ranked_rows(engine.hits(self.search_index, ids, query), query)
        queryset = self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
        if ordered:
            queryset = engine.filter_matches(self.search_index, queryset, query)
        else:
            queryset = engine.search(self.search_index, queryset, query)
        page = self.paginate_queryset(queryset)  # type: ignore[attr-defined]
        serializer = self.get_serializer(page, many=True)  # type: ignore[attr-defined]
        return self.get_paginated_response(serializer.data)  # type: ignore[attr-defined,no-any-return]

    def _ranked_rows(self: Any, found: Sequence[Hit], query: str) -> Response:
        output = []
        for row, score, snippet in ranked_rows(
            self.search_index, self.paginate_queryset(found), query, self.rows
        ):
            item = self.row_output(row)
            item["search_score"], item["search_snippet"] = score, snippet
            output.append(item)
        return self.get_paginated_response(output)  # type: ignore[no-any-return]


@extend_schema(
    tags=["search"],
    summary="Search startups, opportunities and people at once",
    parameters=[SearchInputSerializer],
    responses=SearchOutputSerializer,
)
class SearchApi(APIView):
    """One search box: the best matches of each kind, with how many there are in all.
    Opportunities are the open ones; people are active users."""

    permission_classes = [permissions.AllowAny]

    def get(self, request: Request) -> Response:
        params = validate_input(SearchInputSerializer, request.query_params)
        query, limit = params["q"], params["limit"]
        wanted = params.get("type")
        results = {}
        for group in search_group_list():
            if wanted and group.name not in wanted:
                continue
            queryset = group.queryset(request.user)
            found = engine.search(group.index, queryset, query) if query.strip() else []
            serializer = group.serializer(found[:limit], many=True, context={"request": request})
            results[group.name] = {"count": len(found), "results": serializer.data}
        return Response({"query": query, "results": results})


@extend_schema(
    tags=["search"],
    summary="Which search backend is in use",
    responses=inline_serializer(
        "SearchBackend",
        {
            "backend": serializers.ChoiceField(choices=["postgresql", "sqlite"]),
            "fts_available": serializers.BooleanField(),
            "algorithms": serializers.ListField(child=serializers.CharField()),
        },
    ),
)
class SearchBackendApi(APIView):
    permission_classes = [permissions.AllowAny]

    def get(self, request: Request) -> Response:
        return Response(engine.backend_info())
