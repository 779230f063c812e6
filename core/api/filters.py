from typing import Any

import django_filters
from django import forms
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


class IdFilter(django_filters.Filter):
    """``?startup=12``: a positive integer id; anything else (``1.5``, 10^30) is a 400."""

    field_class = forms.IntegerField

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(**kwargs)
