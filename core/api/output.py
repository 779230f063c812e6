"""Values formatted exactly as DRF's serializer fields format them, for the hot paths that build
their JSON from ``.values()`` rows with plain functions instead of a ``ModelSerializer`` per row.

The serializers stay the reference (and the OpenAPI schema); ``tests/platform/
test_output_identity.py`` holds each hot path's output equal to theirs, field by field.
"""

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal, getcontext
from functools import partial
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Model
from django.utils import timezone


def datetime_text(value: datetime | None) -> str | None:
    """``serializers.DateTimeField``: in the current time zone, ISO 8601, ``Z`` for UTC."""
    if value is None:
        return None
    if settings.USE_TZ and timezone.is_aware(value):
        zone = timezone.get_current_timezone()
        if value.tzinfo is not UTC or zone is not UTC:
            value = value.astimezone(zone)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def date_text(value: date | None) -> str | None:
    """``serializers.DateField``: ISO 8601."""
    return None if value is None else value.isoformat()


_QUANTA: dict[int, Decimal] = {}


def decimal_text(value: Decimal | None, *, max_digits: int, decimal_places: int) -> str | None:
    """``serializers.DecimalField`` with ``COERCE_DECIMAL_TO_STRING``: quantized to the
    field's places in a context of ``max_digits`` precision, as ``DecimalField.quantize``."""
    if value is None:
        return None
    if not isinstance(value, Decimal):
        value = Decimal(str(value).strip())
    quantum = _QUANTA.get(decimal_places)
    if quantum is None:
        quantum = _QUANTA[decimal_places] = Decimal(".1") ** decimal_places
    context = getcontext().copy()
    context.prec = max_digits
    return f"{value.quantize(quantum, context=context):f}"


Formatter = Callable[[Any], Any] | None


def column_formatters(model: type[Model], names: Iterable[str]) -> list[tuple[str, Formatter]]:
    """For each of a model's columns, how its serializer field formats it (None: as read)."""
    shaped: list[tuple[str, Formatter]] = []
    for name in names:
        field = model._meta.get_field(name)
        formatter: Formatter = None
        if isinstance(field, models.DateTimeField):
            formatter = datetime_text
        elif isinstance(field, models.DateField):
            formatter = date_text
        elif isinstance(field, models.DecimalField):
            formatter = partial(
                decimal_text, max_digits=field.max_digits, decimal_places=field.decimal_places
            )
        shaped.append((name, formatter))
    return shaped


def columns_output(row: dict[str, Any], formatters: list[tuple[str, Formatter]]) -> dict[str, Any]:
    return {
        name: row[name] if formatter is None else formatter(row[name])
        for name, formatter in formatters
    }
