"""No full-text index (SQLite without FTS5), and the fallback when a full-text query fails
at run time: rows containing any word (``icontains``), name matches first. Builds nothing."""

from typing import Any

from django.db.models import Q, QuerySet

from search.backends.base import CANDIDATES, Backend, Hit
from search.indexes import SearchIndex
from search.parser import ParsedQuery


class PlainBackend(Backend):
    name = "sqlite"  # the one database here that can lack full-text search
    fts_available = False
    algorithms = ("case-insensitive substring match (FTS5 is not available)",)

    def hits(self, index: SearchIndex, queryset: QuerySet[Any], parsed: ParsedQuery) -> list[Hit]:
        condition = Q()
        for word in parsed.words:
            for name in index.stored_columns:
                condition |= Q(**{f"{name}__icontains": word})
        name_match = Q()
        for word in parsed.words:
            name_match |= Q(**{f"{index.name_column}__icontains": word})
        rows = queryset.filter(condition).order_by().values_list("pk", flat=True)
        ids = list(rows[:CANDIDATES])
        first = set(queryset.filter(pk__in=ids).filter(name_match).values_list("pk", flat=True))
        return [
            Hit(pk, 1.0 if pk in first else 0.5)
            for pk in sorted(ids, key=lambda p: (p not in first, p))
        ]
