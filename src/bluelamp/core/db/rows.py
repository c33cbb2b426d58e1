"""Writing many rows the cheap way, where the ORM's own way costs more to build than to run."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, router
from django.db.models import Field, Model


def update_rows(rows: Sequence[Model], fields: Sequence[str]) -> None:
    """Save ``fields`` of each of ``rows`` (all of one model): one UPDATE … WHERE pk = %s,
    prepared once and run for every row by the driver (``executemany``; psycopg pipelines it).

    Django's ``bulk_update`` writes one statement with a CASE per field naming every row; for a
    handful of rows, compiling that costs the request more CPU than the database spends on it.
    Like ``bulk_update``, this sends no signals and runs no ``pre_save`` (no ``auto_now``)."""
    if not rows:
        return
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
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def _concrete(model: type[Model], name: str) -> tuple[str, Field[object, object]]:
    """The column and field ``name`` of ``model`` (``pk``: the primary key)."""
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    if not isinstance(field, Field) or field.many_to_many or not field.column:
        raise ValueError(f"{model.__name__}.{name} has no column of its own to update.")
    return field.column, field
