from typing import Any

from rest_framework import filters


class OrderingFilter(filters.OrderingFilter):
    """DRF's ordering, with the primary key as the last tie-breaker so pages are stable."""

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> list[str] | None:
        ordering = super().get_ordering(request, queryset, view)
        if ordering is None:
            return None
        ordering = list(ordering)
        if not any(field.lstrip("-") in {"id", "pk"} for field in ordering):
            ordering.append("-id")
        return ordering
