"""Reading and writing rows the cheap way, where the ORM's own way costs more to build than to run."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connections, models, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.models import Field, Model
from django.db.models.expressions import Col

M = TypeVar("M", bound=Model)
# The most rows in one prepared INSERT: a group commit writes at most 50 (bluelamp.core.groupcommit),
# and a larger load goes in statements of this many.
MOST_ROWS_PREPARED = 100

# Field types whose values, as a model holds them (str, int, float, bool or None), reach the
# driver as they are: their get_db_prep_save would hand them back unchanged. Exact types, so
# a subclass that prepares its values in its own way is prepared as Django would.
_AS_THEY_ARE: frozenset[type] = frozenset(
    {
        models.BigIntegerField,
        models.BooleanField,
        models.CharField,
        models.EmailField,
        models.FloatField,
        models.IntegerField,
        models.PositiveBigIntegerField,
        models.PositiveIntegerField,
        models.PositiveSmallIntegerField,
        models.SlugField,
        models.SmallIntegerField,
        models.TextField,
    }
)


def insert_rows(rows: Sequence[M]) -> list[M]:
    """Save new ``rows`` (all of one model) as ``bulk_create(rows)`` does — one
    ``INSERT … RETURNING`` per batch the database takes, each row's key set from it and the row
    marked saved, keys copied from related objects saved since they were assigned, no signals —
    with the statement built once per model, and only the values that need it prepared.

    ``bulk_create`` compiles the statement and sends every value of every row through its query
    compiler on each call: for the few rows of a group commit, more CPU than the database spends
    on them (docs/control.md). Values must be plain values, not expressions. Models with a key
    the database gives, and no database defaults."""
    rows = list(rows)
    if not rows:
        return rows
    model = type(rows[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    plan = _insert_plan(model, alias)
    for row in rows:
        if row.pk is not None:
            raise ValueError(f"{model.__name__} {row.pk} is saved already: insert_rows takes new rows.")
        row._prepare_related_fields_for_save(operation_name="insert_rows")  # type: ignore[attr-defined]  # as bulk_create
    size = connection.ops.bulk_batch_size([field for field, _, _ in plan.fields], rows)
    numbered = _takes_numbered_placeholders(connection)
    if numbered:  # prepared statements: a few sizes, each kept (here, by psycopg, by PostgreSQL)
        size = min(size, MOST_ROWS_PREPARED)
    with transaction.atomic(using=alias, savepoint=False), prepared_cursor(connection, numbered=numbered) as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            sql = _insert_statement(model, alias, len(batch), numbered)
            cursor.execute(sql, [value for row in batch for value in _values(row, plan, connection)])
            for row, (key,) in zip(batch, cursor.fetchall(), strict=True):
                row.pk = key
                row._state.adding, row._state.db = False, alias
    return rows


@dataclass(frozen=True)
class _InsertPlan:
    """The fixed parts of one model's INSERT on one database, and for each column its field,
    whether its ``pre_save`` does anything (``auto_now_add``), and whether its value needs
    ``get_db_prep_save``."""

    prefix: str  # INSERT INTO table (columns) VALUES
    suffix: str  # RETURNING key
    fields: tuple[tuple[Field[Any, Any], bool, bool], ...]


@functools.cache
def _insert_plan(model: type[Model], alias: str) -> _InsertPlan:
    meta = model._meta
    quote = connections[alias].ops.quote_name
    fields = [field for field in meta.concrete_fields if not field.generated and field is not meta.pk]
    if not isinstance(meta.pk, models.AutoField) or any(
        field.db_default is not models.NOT_PROVIDED or field.db_returning for field in fields
    ):
        raise ValueError(f"{model.__name__}: insert_rows takes models with an automatic key and no database defaults.")
    columns = ", ".join(quote(str(field.column)) for field in fields)
    return _InsertPlan(
        prefix=f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ",  # noqa: S608  names from the model
        suffix=f" RETURNING {quote(str(meta.pk.column))}",
        fields=tuple((field, type(field).pre_save is not Field.pre_save, _needs_preparing(field)) for field in fields),
    )


@functools.lru_cache(maxsize=256)
def _insert_statement(model: type[Model], alias: str, count: int, numbered: bool) -> str:
    """The INSERT of ``count`` rows of ``model``: ``(%s, …), (%s, …)`` or, ``numbered``,
    ``($1, …), ($31, …)``. Kept for the counts written most."""
    plan = _insert_plan(model, alias)
    width = len(plan.fields)
    if numbered:
        rows = (", ".join(f"${row * width + column}" for column in range(1, width + 1)) for row in range(count))
    else:
        rows = (", ".join(["%s"] * width) for _ in range(count))
    return plan.prefix + ", ".join(f"({row})" for row in rows) + plan.suffix


def _takes_numbered_placeholders(connection: BaseDatabaseWrapper) -> bool:
    """Whether the connection's prepared cursor takes ``$1, $2, …`` (bluelamp.core.db.postgresql)."""
    return hasattr(connection, "prepared_cursor")


def _needs_preparing(field: Field[Any, Any]) -> bool:
    if isinstance(field, models.ForeignKey):  # a key to an automatic key is an int; any other key is prepared
        return not isinstance(field.target_field, models.AutoField)
    return type(field) not in _AS_THEY_ARE


def _values(row: Model, plan: _InsertPlan, connection: BaseDatabaseWrapper) -> Iterator[Any]:
    for field, pre_save, prepare in plan.fields:
        value = field.pre_save(row, True) if pre_save else getattr(row, field.attname)
        yield field.get_db_prep_save(value, connection) if prepare else value


def update_rows(rows: Sequence[Model], fields: Sequence[str]) -> int:
    """Save ``fields`` of each of ``rows`` (all of one model): one UPDATE … WHERE pk = %s,
    prepared once and run for every row by the driver (``executemany``; psycopg pipelines it).
    Returns how many rows were updated: fewer than ``rows`` when some are no longer there.

    Django's ``bulk_update`` writes one statement with a CASE per field naming every row; for a
    handful of rows, compiling that costs the request more CPU than the database spends on it.
    Like ``bulk_update``, this sends no signals and runs no ``pre_save`` (no ``auto_now``)."""
    if not rows:
        return 0
    model = type(rows[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    columns = [_concrete(model, name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(name)} = %s" for name, _ in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(_concrete(model, 'pk')[0])} = %s"  # noqa: S608  names from the model
    values = [
        [field.get_db_prep_save(getattr(row, field.attname), connection) for _, field in columns] + [row.pk]
        for row in rows
    ]
    with prepared_cursor(connection) as cursor:
        cursor.executemany(sql, values)
        return int(cursor.rowcount)  # both drivers add up every statement's rows


def _concrete(model: type[Model], name: str) -> tuple[str, Field[object, object]]:
    """The column and field ``name`` of ``model`` (``pk``: the primary key)."""
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    if not isinstance(field, Field) or field.many_to_many or not field.column:
        raise ValueError(f"{model.__name__}.{name} has no column of its own to update.")
    return field.column, field


def select_rows(model: type[M], where: str, params: Sequence[Any] = (), *, lock: bool = False) -> list[M]:
    """The rows of ``model`` that meet ``where`` — SQL on its columns, ``%s`` for each of
    ``params``, an ``ORDER BY`` after it if wanted — with every concrete field loaded, as the ORM
    would give them (its converters, ``from_db``). ``lock``: ``SELECT … FOR UPDATE`` where the
    database has it, inside a transaction only, as ``select_for_update``.

    For the few reads on every request's path: compiling a ``QuerySet`` costs far more than
    running it (docs/control.md), and here the column list and converters are worked out once
    per model. Parameters are adapted as for ``raw()`` (dates and times as the database keeps
    them); the columns and SQL are the caller's, so the names are written as the table has them."""
    alias = router.db_for_write(model) if lock else router.db_for_read(model)
    connection = connections[alias]
    if lock and connection.get_autocommit():
        raise transaction.TransactionManagementError("select_rows(lock=True) locks rows: call it inside a transaction.")
    plan = _select_plan(model, alias)
    sql = plan.select + where + (" FOR UPDATE" if lock and connection.features.has_select_for_update else "")
    adapt = connection.ops.adapt_unknown_value
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, [adapt(value) for value in params])
        found = cursor.fetchall()
    return [model.from_db(alias, plan.names, _converted(row, plan, connection)) for row in found]


def prepared_cursor(connection: BaseDatabaseWrapper, *, numbered: bool = False) -> CursorWrapper:
    """A cursor for statements run many times with other values: on PostgreSQL, one whose
    statements are parsed and planned once per connection (bluelamp.core.db.postgresql), and
    ``numbered``, written with ``$1, $2, …``; elsewhere the usual cursor (SQLite's driver keeps
    compiled statements itself), which takes ``%s`` only."""
    if not _takes_numbered_placeholders(connection):
        return connection.cursor()
    prepared: CursorWrapper = connection.prepared_cursor(numbered=numbered)  # type: ignore[attr-defined]  # ours
    return prepared


def placeholders(values: Sequence[Any] | set[Any] | frozenset[Any]) -> str:
    """``%s, %s, …``, one for each of ``values``: for ``column IN (…)`` in :func:`select_rows`."""
    if not values:
        raise ValueError("IN () matches nothing and not every database takes it: leave the condition out.")
    return ", ".join(["%s"] * len(values))


@dataclass(frozen=True)
class _SelectPlan:
    select: str  # SELECT columns FROM table WHERE
    names: tuple[str, ...]  # the attribute of each column, in order
    converters: tuple[tuple[int, tuple[Any, ...], Col], ...]  # (column, its converters, its expression)


@functools.cache
def _select_plan(model: type[Model], alias: str) -> _SelectPlan:
    meta = model._meta
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = list(meta.concrete_fields)
    columns = [field.get_col(meta.db_table) for field in fields]
    converters = []
    for index, column in enumerate(columns):
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((index, tuple(found), column))
    names = ", ".join(quote(str(field.column)) for field in fields)
    return _SelectPlan(
        select=f"SELECT {names} FROM {quote(meta.db_table)} WHERE ",  # noqa: S608  names from the model
        names=tuple(field.attname for field in fields),
        converters=tuple(converters),
    )


def _converted(row: tuple[Any, ...], plan: _SelectPlan, connection: BaseDatabaseWrapper) -> list[Any]:
    values = list(row)
    for index, converters, column in plan.converters:
        value = values[index]
        for convert in converters:
            value = convert(value, column, connection)
        values[index] = value
    return values
