"""Django's SQLite backend with writers taking turns fairly inside one process.

SQLite allows one writer at a time. When several threads (ASGI runs each request on its own)
wait for the write lock, SQLite's busy handler lets whoever polls first win, and an unlucky
request can wait past any timeout ("database is locked") while others go round again. Here a
write transaction first takes a process-wide lock, so waiting writers queue in the operating
system instead. Other processes still meet SQLite's own lock and busy timeout."""

from __future__ import annotations

import threading
from typing import Any

from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError

_writer = threading.Lock()
WAIT_SECONDS = 30


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_writer_lock = False

    def _start_transaction_under_autocommit(self) -> None:
        if not _writer.acquire(timeout=WAIT_SECONDS):
            raise OperationalError(f"The database stayed busy for {WAIT_SECONDS} s: try again.")
        self._holds_writer_lock = True
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private, not in the stubs
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
        if self._holds_writer_lock:
            self._holds_writer_lock = False
            _writer.release()

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._release_writer()
