"""Queries compiled once, run many times: the ORM's SQL for the hot path without its cost.

Building a queryset and compiling it to SQL costs more than running it on the hot path's
small indexed reads (0.1-0.3 ms a query, over and over for the same shape). ``Prepared``
builds the queryset once per shape with stand-in values, keeps its SQL, its parameters and
the ORM's converters for each column, and then runs that SQL with the real values:

    _skills = Prepared(lambda ids: Through.objects.filter(owner_id__in=ids).values_list(...))
    _skills(ids=[3, 1, 2])   # -> [(3, "django"), ...], as list(queryset) would

A shape is the type of each value and the length of each list, so a page of 20 ids and a
detail (one id) are two compilations. Values are integers, strings, datetimes or lists of
them; ``Fixed(value)`` is handed to the builder as it is and is part of the shape (a page
size in a slice, a flag that changes the query). The queryset reads ``values()``,
``values_list()`` or instances of its model (annotations become attributes; no
``select_related``), and every other value must reach the SQL as a parameter: the ORM passes
filter values as parameters, but writes slices into the SQL, so a slice takes a ``Fixed``.
Values that vary and are not arguments (a content type's id, a setting) must be arguments
too, or a cached compilation would keep them. Each database connection keeps its own
compilations (the converters belong to its backend).
"""

import itertools
import threading
import weakref
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    ValuesIterable,
    ValuesListIterable,
)

# Stand-ins: integers no row has that fit any integer column, strings no one sends.
_STAND_IN_BASE = 2_000_000_000
_MAX_SHAPES = 64  # per query and connection: page sizes are bounded, this is a safety net

_STAND_IN_EPOCH = datetime(1901, 2, 3, tzinfo=UTC)

Value = int | str | datetime
Shape = tuple[tuple[str, Any, int | None], ...]


def _parameter(value: Any) -> bool:
    # Not bool (an int): a flag changes the query, so it is a Fixed(...)
    return type(value) in (int, str, datetime)


@dataclass(frozen=True, slots=True)
class Fixed:
    """A value the builder writes into the query (not a parameter): one shape per value."""

    value: Hashable


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    # per parameter: the value's name and index in a list (None: a constant), the constant,
    # and how the ORM passed the value: the backend's form of a datetime, a driver's type
    # (psycopg's ``Int8`` for a big integer), or as it is (None)
    slots: list[tuple[str | None, int | None, Any, Callable[[Any], Any] | None]]
    converters: list[tuple[int, list[Any], Any]]  # per converted column
    names: list[str]  # the columns' names (attributes of an instance)
    kind: type  # the queryset's iterable class
    model: Any  # for instances: the model, and how many leading columns are its fields
    model_fields: int


class Prepared:
    def __init__(self, build: Callable[..., QuerySet[Any]], using: str = DEFAULT_DB_ALIAS) -> None:
        self.build = build
        self.using = using
        self._compiled: weakref.WeakKeyDictionary[
            BaseDatabaseWrapper, dict[Shape, _Compiled | None]
        ] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def __call__(self, **values: Value | Sequence[Value] | Fixed) -> list[Any]:
        shape: list[tuple[str, Any, int | None]] = []
        for name, value in values.items():
            if isinstance(value, Fixed):
                shape.append((name, value, None))
            elif _parameter(value):
                shape.append((name, type(value), None))
            elif isinstance(value, list | tuple) and all(_parameter(v) for v in value):
                shape.append((name, type(value[0]) if value else None, len(value)))
            else:
                raise TypeError(
                    f"{name}={value!r}: a prepared query takes integers, strings, datetimes, "
                    "lists of them, or Fixed(...)"
                )
        connection = connections[self.using]
        compiled = self._compiled_for(connection, tuple(shape))
        if compiled is None:
            return []  # the ORM knew without asking: nothing matches (EmptyResultSet)
        params: list[Any] = []
        for slot, index, constant, convert in compiled.slots:
            if slot is None:
                params.append(constant)
                continue
            given: Any = values[slot] if index is None else values[slot][index]  # type: ignore[index]
            params.append(given if convert is None else convert(given))
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows: list[Any] = cursor.fetchall()
        if compiled.converters:
            rows = [list(row) for row in rows]
            for row in rows:
                for position, functions, expression in compiled.converters:
                    value = row[position]
                    for function in functions:
                        value = function(value, expression, connection)
                    row[position] = value
        names = compiled.names
        if compiled.kind is ValuesIterable:
            return [dict(zip(names, row, strict=True)) for row in rows]
        if compiled.kind is FlatValuesListIterable:
            return [row[0] for row in rows]
        if compiled.kind is ValuesListIterable:
            return [tuple(row) for row in rows]
        return [self._instance(compiled, row) for row in rows]

    def _instance(self, compiled: _Compiled, row: Sequence[Any]) -> Any:
        split = compiled.model_fields
        instance = compiled.model.from_db(self.using, compiled.names[:split], row[:split])
        for name, value in zip(compiled.names[split:], row[split:], strict=True):
            setattr(instance, name, value)
        return instance

    def _compiled_for(self, connection: BaseDatabaseWrapper, shape: Shape) -> _Compiled | None:
        with self._lock:
            known = self._compiled.setdefault(connection, {})
            if shape in known:
                return known[shape]
        numbers = itertools.count(_STAND_IN_BASE)

        def stand_in(kind: type) -> Value:
            number = next(numbers)
            if kind is datetime:
                return _STAND_IN_EPOCH + timedelta(seconds=number - _STAND_IN_BASE + 1)
            return number if kind is int else f"\x00stand-in-{number}"

        where: dict[Any, tuple[str, int | None, bool]] = {}
        arguments: dict[str, Any] = {}
        adapt = connection.ops.adapt_datetimefield_value
        for name, kind, length in shape:
            if isinstance(kind, Fixed):
                arguments[name] = kind.value
                continue
            places: list[tuple[Any, int | None]]
            if length is None:
                arguments[name] = stand_in(kind)
                places = [(arguments[name], None)]
            else:
                arguments[name] = [stand_in(kind) for _ in range(length)]
                places = [(value, i) for i, value in enumerate(arguments[name])]
            for value, index in places:
                where[value] = (name, index, False)
                if kind is datetime:  # what the ORM passes: the backend's form of it
                    where[adapt(value)] = (name, index, True)
        try:
            compiled: _Compiled | None = self._compile(self.build(**arguments), connection, where)
        except EmptyResultSet:
            compiled = None
        with self._lock:
            if len(known) >= _MAX_SHAPES:
                known.clear()
            known[shape] = compiled
        return compiled

    def _compile(
        self,
        queryset: QuerySet[Any],
        connection: BaseDatabaseWrapper,
        where: dict[Any, tuple[str, int | None, bool]],
    ) -> _Compiled:
        kind = queryset._iterable_class
        query = queryset.query
        if kind is ModelIterable and query.select_related:
            raise ImproperlyConfigured("Prepared queries do not follow select_related().")
        if kind not in (ModelIterable, ValuesIterable, ValuesListIterable, FlatValuesListIterable):
            raise ImproperlyConfigured("Prepared queries read instances, values or values_list.")
        compiler = query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        slots: list[tuple[str | None, int | None, Any, Callable[[Any], Any] | None]] = []
        seen = set()
        for param in params:
            if isinstance(param, int | str | datetime) and not isinstance(param, bool):
                found = where.get(param)
            else:
                found = None
            if found is None:
                slots.append((None, None, param, None))
                continue
            name, index, adapted = found
            convert: Callable[[Any], Any] | None = None
            if adapted:
                convert = connection.ops.adapt_datetimefield_value
            elif type(param) not in (int, str, datetime):
                convert = type(param)  # a driver's subclass, as the ORM passed it
            slots.append((name, index, None, convert))
            seen.add((name, index))
        expected = {(name, index) for name, index, _ in where.values()}
        if seen != expected:
            missing = sorted({name for name, _ in expected - seen})
            raise ImproperlyConfigured(
                f"A prepared query's values must all reach its SQL as parameters: {missing} "
                "did not."
            )
        if compiler.has_extra_select:
            raise ImproperlyConfigured("Prepared queries select only what they return.")
        fields = [s[0] for s in compiler.select[: compiler.col_count]]
        converters = [
            (position, functions, expression)
            for position, (functions, expression) in compiler.get_converters(fields).items()
        ]
        model, model_fields = None, 0
        if kind is ModelIterable:
            model = compiler.klass_info["model"]
            selected = compiler.klass_info["select_fields"]
            model_fields = len(selected)
            if selected != list(range(model_fields)):
                raise ImproperlyConfigured("Prepared queries select the model's fields first.")
            names = [column[0].target.attname for column in compiler.select[:model_fields]]
            names += list(compiler.annotation_col_map)
            if [*compiler.annotation_col_map.values()] != list(
                range(model_fields, model_fields + len(compiler.annotation_col_map))
            ):
                raise ImproperlyConfigured("Prepared queries select annotations after fields.")
        else:
            names = [*query.extra_select, *query.values_select, *query.annotation_select]
        return _Compiled(sql, slots, converters, names, kind, model, model_fields)
