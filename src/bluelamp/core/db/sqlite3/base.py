"""Django's SQLite backend with writers taking turns fairly, within a process and across processes.

SQLite allows one writer at a time. When several writers wait for its write lock, SQLite's busy
handler sleeps between polls (1, 2, 5, 10 … up to 100 ms), so whoever polls first wins, a
writer can sleep long after the lock is free, and an unlucky request can wait past any timeout
("database is locked"). Here a write transaction first takes two locks of ours, so waiting
writers queue in the operating system and wake as soon as the writer before them is done:

* a process-wide ``threading.Lock``, for the threads of one process (ASGI runs each request on
  its own thread);
* then an exclusive ``flock`` on a lock file beside the database (``<database>-writer.lock``),
  for other processes (``bluelamp serve --workers N``, commands run beside the server).

Both are released when the transaction ends: commit, rollback (also after a failed BEGIN or
COMMIT) or closing the connection; the kernel releases the file lock of a process that dies.
So SQLite's own lock is not contended between our writers. Each wait is bounded by
``WAIT_SECONDS``. In-memory databases belong to one process and skip the file lock. Writes
outside a transaction (autocommit statements) take neither lock and still meet SQLite's busy
timeout."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from typing import Any
from urllib.parse import unquote, urlsplit

from django.db.backends.sqlite3 import base
from django.db.backends.sqlite3.creation import DatabaseCreation
from django.db.utils import OperationalError

from bluelamp.core.db.sqlite3 import checkpoints

_writer = threading.Lock()
WAIT_SECONDS = 30
LOCK_SUFFIX = "-writer.lock"


def _busy() -> OperationalError:
    return OperationalError(f"The database stayed busy for {WAIT_SECONDS} s: try again.")


def database_path(name: object) -> str | None:
    """The file of the database ``name`` (a NAME setting, a path or a ``file:`` URI), or None in memory."""
    name = str(name)
    if not name or DatabaseCreation.is_in_memory_db(name):
        return None
    if name.startswith("file:"):  # a URI (uri=True): the file is its path
        name = unquote(urlsplit(name).path)
    return name


def lock_path(name: object) -> str | None:
    """The writer lock file of the database ``name`` (a NAME setting), or None in memory."""
    path = database_path(name)
    return None if path is None else path + LOCK_SUFFIX


def _wait_for_flock(fd: int, seconds: float) -> bool:
    """Take an exclusive flock on ``fd``'s open file description, waiting at most ``seconds``.

    The wait is a blocking flock (the kernel wakes it the moment the holder lets go), made in a
    helper thread because a blocking flock cannot time out. The helper works on a duplicate of
    ``fd``, which it always closes. If the caller gives up, it must close ``fd`` too: then the
    helper's duplicate is the description's last reference, and closing it releases the lock the
    helper may still get, so an abandoned wait never leaves the lock held."""
    helper_fd = os.dup(fd)
    done = threading.Event()
    failed: list[OSError] = []

    def wait() -> None:
        try:
            fcntl.flock(helper_fd, fcntl.LOCK_EX)
        except OSError as error:
            failed.append(error)
        finally:
            os.close(helper_fd)
            done.set()

    threading.Thread(target=wait, name="bluelamp-sqlite-writer-lock", daemon=True).start()
    if not done.wait(seconds):
        return False
    if failed:
        raise OperationalError(f"Could not lock the database for writing: {failed[0]}")
    return True


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_writer_lock = False
    _holds_file_lock = False
    # The lock file is opened once per connection (on its first write) and closed with it, not
    # once per process: each connection then has an open file description of its own (flock
    # locks belong to the description), so a connection that abandons a wait can close its
    # description without touching another's, and no two holders can ever share one lock.
    # The threading lock already lets only one connection of a process hold or wait for it.
    _lock_fd: int | None = None

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        if checkpoints.in_background():
            connection.execute("PRAGMA wal_autocheckpoint=0")  # a thread of this process does it
        return connection

    def _start_transaction_under_autocommit(self) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        if not _writer.acquire(timeout=WAIT_SECONDS):
            raise _busy()
        self._holds_writer_lock = True
        try:
            self._lock_file(deadline)
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private, not in the stubs
        except BaseException:
            self._release_writer()
            raise

    def _lock_file(self, deadline: float) -> None:
        path = lock_path(self.settings_dict["NAME"])
        if path is None:
            return
        if self._lock_fd is None:
            try:
                self._lock_fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o666)  # flock needs no write access
            except OSError as error:
                raise OperationalError(f"Could not open the database's writer lock {path}: {error}") from error
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            acquired = False
            try:
                acquired = _wait_for_flock(self._lock_fd, max(0.0, deadline - time.monotonic()))
            finally:
                if not acquired:  # gave up (or was interrupted): the waiting helper may still get it
                    self._close_lock_file()
            if not acquired:
                raise _busy() from None
        self._holds_file_lock = True

    def _close_lock_file(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        self._holds_file_lock = False
        if fd is not None:
            os.close(fd)  # releases the flock if this was the description's last reference

    def _release_writer(self) -> None:
        if not self._holds_writer_lock:
            return
        self._holds_writer_lock = False
        try:
            if self._holds_file_lock and self._lock_fd is not None:
                self._holds_file_lock = False
                try:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                except OSError:
                    self._close_lock_file()  # closing releases it all the same
        finally:
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
            try:
                self._release_writer()
            finally:
                self._close_lock_file()
