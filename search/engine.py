"""Full-text search with the database's own indexes: PostgreSQL or SQLite, one behaviour.
This module is how the apps search; the parts live beside it:

* ``search.indexes`` -- what is searched (``SearchIndex``) and the registry of indexes;
* ``search.parser`` -- the query language, parsed once for every backend;
* ``search.backends`` -- one ``Backend`` per database (PostgreSQL, SQLite FTS5, a plain
  match), picked by ``backend_for(connection.vendor)``; the ranking rule is written once,
  in ``search.backends.base``;
* ``search.schema`` -- the migration operation, the migrate hooks and ``rebuild``;
* ``search.cache`` -- cached rankings and their invalidation;
* ``search.results`` -- ``SearchResults``, the page's rows with their snippets.

Ranking, the same on both: rows matching every word (``strict``) first, then rows holding the
words as one phrase, then the weighted relevance (``ts_rank`` / ``bm25`` with the same
weights) blended with trigram word similarity of the name, then the id. The index finds and
ranks at most ``CANDIDATES`` rows, so a very common word costs a bounded amount of work. A
query that finds nothing is tried once more with its unknown words replaced by the nearest
words of the index (``search.vocabulary``: "paymnets" finds payments), at no cost to the
queries that find something.
"""

import logging
from typing import Any

from django.core.cache import cache as django_cache
from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connection
from django.db.models import QuerySet

from search import cache, vocabulary
from search.backends import PLAIN, backend_for
from search.backends.base import Hit, within
from search.indexes import SearchIndex
from search.parser import ParsedQuery, parse
from search.results import SearchResults

logger = logging.getLogger("collabhub.search")


def backend_info() -> dict[str, Any]:
    """``{"backend": "postgresql" | "sqlite", "fts_available": bool, "algorithms": [...]}``"""
    return backend_for(connection.vendor).info()


def hits(index: SearchIndex, queryset: QuerySet[Any], query: str) -> list[Hit]:
    """The ranked matches of ``query`` among ``queryset`` (at most ``CANDIDATES``), cached
    per normalised query and filters until the next write to a searched table (or a follow,
    which ``?followed_by=`` depends on)."""
    parsed = parse(query)
    if not parsed:
        return []
    try:
        filters, filter_params = within(queryset, "id")
    except EmptyResultSet:  # e.g. Model.objects.none(): nothing to search in
        return []
    key = cache.key(index.table, parsed.normalised(), filters, filter_params)
    found = django_cache.get(key)
    if found is not None:
        return found
    found, exact = _search(index, queryset, parsed)
    if not found and exact:  # nothing at all: a misspelt word, read as the nearest known one
        fixed, corrections = vocabulary.corrected(index, parsed)
        if corrections:
            found, exact = _search(index, queryset, fixed)
    if exact:  # a fallback after a failure is not kept: the next search tries again
        django_cache.set(key, found, cache.CACHE_SECONDS)
    return found


def _search(
    index: SearchIndex, queryset: QuerySet[Any], parsed: ParsedQuery
) -> tuple[list[Hit], bool]:
    """The hits, and whether they came from the full-text index as designed."""
    backend = backend_for(connection.vendor)
    if not backend.fts_available:
        return backend.hits(index, queryset, parsed), True
    try:
        with backend.savepoint():
            return backend.hits(index, queryset, parsed), True
    except DatabaseError:
        if connection.connection is None or not connection.is_usable():
            raise  # the database itself is unreachable: a plain match would fail the same way
        logger.warning(
            "full-text search failed; falling back to a plain match",
            extra={"table": index.table, "query": parsed.normalised()},
            exc_info=True,
        )
        return PLAIN.hits(index, queryset, parsed), False


def search(index: SearchIndex, queryset: QuerySet[Any], query: str) -> SearchResults:
    return SearchResults(index, queryset, query, hits(index, queryset, query))


def filter_matches(index: SearchIndex, queryset: QuerySet[Any], query: str) -> QuerySet[Any]:
    """The matches as a queryset, for a caller that orders them itself (``?ordering=``). A
    query with no word to look for (``-foo``, punctuation) matches nothing, as ranked."""
    return queryset.filter(pk__in=[hit.id for hit in hits(index, queryset, query)])
