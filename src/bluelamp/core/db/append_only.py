"""Database triggers that keep the trails append-only, whoever sends the SQL.

Raw SQL, because the ORM cannot declare triggers, and the point is to refuse changes that do not
come through the ORM (an admin's SQL prompt, a script, a bug using ``.raw()``):

- SQLite: UPDATE and DELETE on an append-only table are refused (PostgreSQL already refuses them
  with the row triggers of core 0003 and control 0003/0006).
- PostgreSQL: TRUNCATE, which row triggers never see, is refused.
- A chain head (the row or column recording the newest entry) may move forward, never back, and
  is never deleted.

These stop accidents and anyone limited to the application's role. Someone who owns the tables
can drop the triggers: the keyed hashes and published checkpoints (``core/audit_keys.py``,
``core/audit_checkpoints.py``) are what find their changes. Every trigger is named ``guard_…``
so that :func:`lifted` can find them for a deliberate wipe (``bluelamp flush`` outside
production, which is how Django's tests empty the database between transactional tests).

SQLite drops a table's triggers when a migration rebuilds the table: a migration that alters an
append-only table on SQLite must call :func:`guard` again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper

PREFIX = "guard_"

_REFUSE_TRUNCATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {PREFIX}refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only (TRUNCATE refused)', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Nothing in an audit trail or incident log is ever removed.';
END;
$$
"""

_REFUSE_BACKWARDS_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {PREFIX}refuse_backwards() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '% is a chain head and is never deleted', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF to_jsonb(NEW) ->> TG_ARGV[0] IS NOT NULL
       AND (to_jsonb(NEW) ->> TG_ARGV[0])::bigint < (to_jsonb(OLD) ->> TG_ARGV[0])::bigint THEN
        RAISE EXCEPTION '%.% only moves forward (refused: % to %)', TG_TABLE_NAME, TG_ARGV[0],
            to_jsonb(OLD) ->> TG_ARGV[0], to_jsonb(NEW) ->> TG_ARGV[0]
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$
"""


def _sqlite_refusal(table: str, operation: str, when: str = "") -> str:
    message = f"{table} rows are append-only ({operation} refused)"
    return (
        f"CREATE TRIGGER IF NOT EXISTS {PREFIX}{table}_{operation.lower()} BEFORE {operation} ON {table} "
        f"{when} BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


def append_only(vendor: str, tables: tuple[str, ...]) -> list[str]:
    """The statements that make ``tables`` append-only on ``vendor`` (beyond what exists)."""
    if vendor == "sqlite":
        return [_sqlite_refusal(table, op) for table in tables for op in ("UPDATE", "DELETE")]
    if vendor == "postgresql":
        return [
            _REFUSE_TRUNCATE_FUNCTION,
            *(
                f"CREATE OR REPLACE TRIGGER {PREFIX}{table}_truncate BEFORE TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {PREFIX}refuse_truncate()"
                for table in tables
            ),
        ]
    return []


def forward_only(vendor: str, table: str, column: str) -> list[str]:
    """The statements that let ``table.column`` (a chain head's position) only grow, and refuse
    deleting or truncating ``table``'s rows."""
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {PREFIX}{table}_backwards BEFORE UPDATE OF {column} ON {table} "
            f"WHEN NEW.{column} < OLD.{column} "
            f"BEGIN SELECT RAISE(ABORT, '{table}.{column} only moves forward'); END",
            _sqlite_refusal(table, "DELETE"),
        ]
    if vendor == "postgresql":
        return [
            _REFUSE_BACKWARDS_FUNCTION,
            _REFUSE_TRUNCATE_FUNCTION,
            f"CREATE OR REPLACE TRIGGER {PREFIX}{table}_backwards BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {PREFIX}refuse_backwards('{column}')",
            f"CREATE OR REPLACE TRIGGER {PREFIX}{table}_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {PREFIX}refuse_truncate()",
        ]
    return []


def dropped(vendor: str, tables: tuple[str, ...]) -> list[str]:
    """The statements that remove every guard of ``tables`` (a migration's reverse)."""
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {PREFIX}{table}_{what}"
            for table in tables
            for what in ("update", "delete", "backwards")
        ]
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {PREFIX}{table}_{what} ON {table}"
            for table in tables
            for what in ("truncate", "backwards")
        ]
    return []


def run(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@contextmanager
def lifted(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Every guard off for the duration (SQLite: dropped and made again; PostgreSQL: the TRUNCATE
    guards disabled, the only ones a wipe meets). Only for a deliberate wipe of everything."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s ESCAPE '\\'",
                [PREFIX.replace("_", "\\_") + "%"],
            )
            saved = cursor.fetchall()
            for name, _sql in saved:
                cursor.execute(f'DROP TRIGGER "{name}"')
            undo = [sql for _name, sql in saved]
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE tgname LIKE %s",
                [PREFIX.replace("_", "\\_") + "%\\_truncate"],
            )
            saved = cursor.fetchall()
            for table, name in saved:
                cursor.execute(f'ALTER TABLE {table} DISABLE TRIGGER "{name}"')
            undo = [f'ALTER TABLE {table} ENABLE TRIGGER "{name}"' for table, name in saved]
        else:
            undo = []
    try:
        yield
    finally:
        run(connection, undo)
