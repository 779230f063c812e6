"""``?search=`` on list endpoints: validated by the FilterSet, ranked by ``search.engine``.

Without ``ordering`` the page is in relevance order and each item carries ``search_score``
and a highlighted ``search_snippet``; with ``ordering`` the matches are ordered as asked.
"""

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from search import engine


class SearchQueryFilter(django_filters.CharFilter):
    """Checks the query (at most 200 characters); ``SearchListMixin`` applies it, ranked."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", engine.MAX_QUERY_LENGTH)
        kwargs.setdefault(
            "help_text",
            'Full-text search: words, "a phrase", `or`, `-excluded`; the last word matches '
            "as a prefix and misspelt names still match. Relevance order unless `ordering`.",
        )
        super().__init__(**kwargs)

    def filter(self, qs: Any, value: Any) -> Any:
        return qs


class SearchListMixin:
    search_index: engine.SearchIndex

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
        query = request.query_params.get("search", "")
        if query.strip():
            if request.query_params.get(api_settings.ORDERING_PARAM):
                queryset = engine.filter_matches(self.search_index, queryset, query)
            else:
                queryset = engine.search(self.search_index, queryset, query)
        page = self.paginate_queryset(queryset)  # type: ignore[attr-defined]
        serializer = self.get_serializer(page, many=True)  # type: ignore[attr-defined]
        return self.get_paginated_response(serializer.data)  # type: ignore[attr-defined,no-any-return]


class SearchResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """``search_score`` and ``search_snippet`` (HTML-escaped, matches in ``<mark>``): set on
    ranked search results, null otherwise."""

    search_score = serializers.SerializerMethodField()
    search_snippet = serializers.SerializerMethodField()

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_search_score(self, obj: Any) -> float | None:
        return getattr(obj, "search_score", None)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_search_snippet(self, obj: Any) -> str | None:
        return getattr(obj, "search_snippet", None)


SEARCH_RESULT_FIELDS = ["search_score", "search_snippet"]
