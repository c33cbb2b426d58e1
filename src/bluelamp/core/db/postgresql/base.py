"""Django's PostgreSQL backend with one addition: :meth:`DatabaseWrapper.prepared_cursor`, a
cursor whose statements PostgreSQL parses and plans once per connection and then only runs.

Django binds parameters on the client (psycopg's ``ClientCursor``): each statement reaches
PostgreSQL as text with the values written in, so it is parsed and planned afresh every time,
and psycopg quotes every value in Python first. That suits the ORM's endless variety of
statements, and poolers in transaction mode. The statements every incident runs
(bluelamp.core.db.rows) are the opposite: the same dozen, thousands of times an hour. A
prepared cursor binds on the server and has psycopg prepare a statement from its second run on
(``prepare_threshold`` in the database's OPTIONS, set by bluelamp.config); the ORM's statements
are unaffected, as psycopg never prepares a client-side cursor's.

A *numbered* prepared cursor takes PostgreSQL's own placeholders (``$1, $2, …``) and passes the
statement on as it is. psycopg parses a ``%s`` statement to find its placeholders, and keeps
what it found only for statements of at most 50 values: a multi-row INSERT of a group commit
has more, and parsing it again cost 75 µs per row of 30 columns, each time."""

from __future__ import annotations

import re
from typing import Any

import psycopg
from django.db.backends.postgresql import base, operations
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.db.backends.utils import CursorWrapper
from django.utils.asyncio import async_unsafe
from psycopg.pq import Format

_NUMBERED_PLACEHOLDER = re.compile(r"\$\d+")


class PreparedCursor(psycopg.Cursor[Any]):
    """Server-side binding; psycopg prepares a statement once it has seen it
    ``prepare_threshold`` times on the connection (never with ``prepare_threshold=None``)."""


class NumberedCursor(psycopg.RawCursor[Any]):
    """As :class:`PreparedCursor`, for statements written with ``$1, $2, …``."""


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor: Any, sql: str, params: Any) -> str:
        """The statement with its values written in, for query logs and the tests' statement
        captures: psycopg keeps no text of a prepared statement's run."""
        if isinstance(cursor, NumberedCursor) and params is not None:
            sql = _NUMBERED_PLACEHOLDER.sub("%s", sql)  # numbered in order, as bluelamp.core.db.rows writes them
        if isinstance(cursor, PreparedCursor | NumberedCursor) and params is not None:
            return str(self.compose_sql(sql, params))
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    @async_unsafe
    def prepared_cursor(self, *, numbered: bool = False) -> CursorWrapper:
        """A cursor as :meth:`cursor` gives (Django's wrappers: query logging, execute
        wrappers, database errors) that binds its parameters on the server; ``numbered``: its
        statements write their placeholders ``$1, $2, …``."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            cursor = (NumberedCursor if numbered else PreparedCursor)(self.connection)
            self._register_timezone(cursor)
            wrapped: CursorWrapper = self._prepare_cursor(cursor)  # type: ignore[attr-defined]  # as Django's cursor()
            return wrapped

    def _register_timezone(self, cursor: psycopg.Cursor[Any]) -> None:
        """As Django's ``create_cursor``: this connection's time zone for the cursor's
        timestamps, if the connection's adapters do not have it already."""
        loader = self.connection.adapters.get_loader(base.TIMESTAMPTZ_OID, Format.TEXT)
        if self.timezone != loader.timezone:
            register_tzloader(self.timezone, cursor)
