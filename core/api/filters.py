from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, which builds and validates a form on every list request, only
    when the request names one of the filters: otherwise the filterset's ``unfiltered``
    classmethod, if it has one (a default such as "open opportunities"), is the answer, as the
    filterset would have given with every filter empty."""

    def filter_queryset(self, request: Any, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and request.query_params.keys().isdisjoint(
            filterset_class.base_filters
        ):
            unfiltered = getattr(filterset_class, "unfiltered", None)
            return unfiltered(queryset) if unfiltered is not None else queryset
        return super().filter_queryset(request, queryset, view)  # type: ignore[no-any-return]


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
