"""Ranked results as the paginator sees them: ``SearchResults`` is a sequence of the ranked
ids of which only the page asked for is loaded, each row with its score and its snippet (an
HTML-escaped excerpt, the matches in ``<mark>``)."""

import html
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.db import DatabaseError, connection
from django.db.models import Model, QuerySet

from search.backends import backend_for
from search.backends.base import MARK_END, MARK_START, Hit
from search.indexes import SearchIndex
from search.parser import parse

logger = logging.getLogger("collabhub.search")


def snippets(index: SearchIndex, ids: Sequence[int], query: str) -> dict[int, str]:
    """A short excerpt of each row around the match, HTML-escaped, matches in ``<mark>``."""
    parsed = parse(query)
    backend = backend_for(connection.vendor)
    if not ids or not parsed or not backend.fts_available:
        return {}
    try:
        with backend.savepoint():
            rows = backend.snippets(index, ids, parsed)
    except DatabaseError:
        logger.warning("search snippets failed", extra={"table": index.table}, exc_info=True)
        return {}
    return {row_id: _mark(text) for row_id, text in rows if text and MARK_START in text}


def ranked_rows(
    index: SearchIndex,
    page: Sequence[Hit],
    query: str,
    rows: Callable[[list[int]], list[dict[str, Any]]],
) -> list[tuple[dict[str, Any], float, str | None]]:
    """A page of hits as rows (``rows`` reads them as dicts by id), in rank order, each with
    its rounded score and its snippet; rows gone since the ranking was cached are left out."""
    by_id = {row["id"]: row for row in rows([hit.id for hit in page])}
    texts = snippets(index, list(by_id), query)
    return [
        (by_id[hit.id], round(hit.score, 4), texts.get(hit.id)) for hit in page if hit.id in by_id
    ]


def _mark(text: str) -> str:
    return html.escape(text).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


class SearchResults(Sequence[Model]):
    """The matches in relevance order. Only the rows of the page asked for are loaded (with
    their snippets); ``len`` is the number of matches (at most ``CANDIDATES``)."""

    def __init__(
        self, index: SearchIndex, queryset: QuerySet[Any], query: str, found: list[Hit]
    ) -> None:
        self.search_index, self.queryset, self.query = index, queryset, query
        self.found = found

    def __len__(self) -> int:
        return len(self.found)

    def count(self, value: Any = None) -> int:  # Django's paginator calls count()
        return len(self.found)

    def __iter__(self) -> Iterator[Model]:
        return iter(self[0 : len(self)])

    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, int):
            return self[item : item + 1][0]
        page = self.found[item]
        rows = {row.pk: row for row in self.queryset.filter(pk__in=[hit.id for hit in page])}
        texts = snippets(self.search_index, list(rows), self.query)
        ordered = []
        for hit in page:
            row = rows.get(hit.id)
            if row is not None:  # deleted since the ranking was cached
                row.search_score = round(hit.score, 4)
                row.search_snippet = texts.get(hit.id)
                ordered.append(row)
        return ordered
