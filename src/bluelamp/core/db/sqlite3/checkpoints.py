"""WAL checkpoints off the request path.

In WAL mode SQLite appends commits to the ``-wal`` file, and by default the commit that takes
the file past 1,000 pages copies them back into the database and syncs it to disk. That commit
holds the write lock meanwhile, so every writer queued behind it waits for the disk: under load
these were among the slowest requests. A served worker (``bluelamp serve``) therefore copies
the pages back from a thread of its own, once a second, with a passive checkpoint, which waits
for no reader and no writer (SQLite lets go of the interpreter while it works); connections it
opens after that never checkpoint on commit. Other processes (commands, tests) keep SQLite's
default."""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass

logger = logging.getLogger(__name__)
INTERVAL_SECONDS = 1.0
_background = threading.Event()  # set: this process checkpoints in the background


def in_background() -> bool:
    """Whether new connections of this process should leave checkpoints to the background."""
    return _background.is_set()


@dataclass(frozen=True)
class Checkpoint:
    busy: bool  # a reader or writer kept part of the WAL from being copied back
    wal_pages: int
    copied_pages: int


def checkpoint(connection: sqlite3.Connection) -> Checkpoint:
    """One passive checkpoint of ``connection``'s database."""
    busy, wal_pages, copied_pages = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return Checkpoint(bool(busy), wal_pages, copied_pages)


class Checkpointer:
    """Checkpoints ``database`` every :data:`INTERVAL_SECONDS` from a thread of its own until
    :meth:`stop`; connections this process opens meanwhile leave checkpoints to it."""

    def __init__(self, database: str) -> None:
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(database,), name="bluelamp-wal-checkpoints", daemon=True
        )
        _background.set()
        self._thread.start()

    def stop(self) -> None:
        _background.clear()  # connections opened from now on checkpoint on commit again
        self._stopping.set()
        self._thread.join(timeout=5)

    def _run(self, database: str) -> None:
        connection = sqlite3.connect(database, timeout=1)
        try:
            while not self._stopping.wait(INTERVAL_SECONDS):
                try:
                    checkpoint(connection)
                except sqlite3.Error:  # the next second tries again; the WAL only grows meanwhile
                    logger.exception("WAL checkpoint of %s failed", database)
        finally:
            connection.close()
