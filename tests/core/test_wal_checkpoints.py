"""WAL checkpoints off the request path: a served worker's thread copies the WAL back into the
database, and the connections it opens meanwhile never do it in a commit."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from django.db import connection

from bluelamp.core.db.sqlite3 import checkpoints


def _wal_database(path: Path) -> sqlite3.Connection:
    """A WAL database with 2,000 rows committed to its WAL only (nothing checkpointed yet)."""
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT)")
    writer.executemany("INSERT INTO note (text) VALUES (?)", [("x" * 200,) for _ in range(2000)])
    return writer


def test_the_checkpointer_copies_the_wal_back_into_the_database(tmp_path: Path) -> None:
    database = tmp_path / "wal.sqlite3"
    writer = _wal_database(database)
    before = database.stat().st_size
    checkpointer = checkpoints.Checkpointer(str(database))
    try:
        deadline = time.monotonic() + 10
        while database.stat().st_size <= before and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        checkpointer.stop()
    assert database.stat().st_size > before + 2000 * 200  # the rows are in the database file now
    done = checkpoints.checkpoint(writer)
    assert (done.busy, done.copied_pages) == (False, done.wal_pages)  # nothing was left to copy
    writer.close()


@pytest.mark.django_db(transaction=True)
def test_connections_opened_while_it_runs_leave_checkpoints_to_it(tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the WAL and its checkpoints are SQLite's (this runs in the SQLite run)")

    def autocheckpoint() -> int:
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            return int(cursor.fetchone()[0])

    checkpointer = checkpoints.Checkpointer(str(connection.settings_dict["NAME"]))
    try:
        assert autocheckpoint() == 0
    finally:
        checkpointer.stop()
    assert autocheckpoint() == 1000  # SQLite's default again once it stops
