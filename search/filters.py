"""``?search=`` on list endpoints, as a FilterSet field: it checks the query; the list's
``search.apis.SearchListMixin`` applies it, ranked."""

from typing import Any

import django_filters

from search.parser import MAX_QUERY_LENGTH


class SearchQueryFilter(django_filters.CharFilter):
    """Checks the query (at most 200 characters); ``SearchListMixin`` applies it, ranked."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MAX_QUERY_LENGTH)
        kwargs.setdefault(
            "help_text",
            'Full-text search: words, "a phrase", `or`, `-excluded`; the last word matches '
            "as a prefix and misspelt names still match. Relevance order unless `ordering`.",
        )
        super().__init__(**kwargs)

    def filter(self, qs: Any, value: Any) -> Any:
        return qs
