"""Writers in several processes on one SQLite file (`bluelamp serve --workers N`) queue on the
writer lock file of core/db/sqlite3: every write lands and none fails with "database is locked";
a writer waits while another process holds a transaction open, and gets in when it commits;
every way a transaction ends (rollback, failed statement, failed BEGIN or COMMIT, closed
connection, a wait given up, a killed process) lets the next writer in.

Real processes (multiprocessing with spawn), each with Django configured to the same file as
production configures SQLite, except that SQLite's own busy handler gives up after 100 ms: only
our lock can make a writer wait longer than that and still succeed."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest

SPAWN = multiprocessing.get_context("spawn")
BUSY_MS = 100
COUNT = 200
TIMEOUT = 30


def _django(path: str) -> None:
    """In a child process: Django with one SQLite file database, through our backend."""
    import django
    from django.conf import settings

    settings.configure(
        DATABASES={
            "default": {
                "ENGINE": "bluelamp.core.db.sqlite3",
                "NAME": path,
                "OPTIONS": {
                    "init_command": (
                        f"PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout={BUSY_MS};"
                    ),
                    "transaction_mode": "IMMEDIATE",
                    "timeout": BUSY_MS / 1000,
                },
            }
        }
    )
    django.setup()


def _insert(process: int, number: int, busy_seconds: float = 0) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO row (process, number) VALUES (%s, %s)", [process, number])
        time.sleep(busy_seconds)


def _write_many(path: str, process: int, start: Any, results: Any) -> None:
    _django(path)
    start.wait(TIMEOUT)
    began = time.monotonic()
    try:
        for number in range(COUNT):
            _insert(process, number, busy_seconds=0.001)  # a request's transaction takes a while too
    except Exception as error:  # reported to the test, which asserts there was none
        results.put((process, repr(error), began, time.monotonic()))
        return
    results.put((process, "", began, time.monotonic()))


def _hold_open(path: str, inside: Any, release: Any, results: Any) -> None:
    """Write a row, then keep the transaction open until told to commit."""
    from django.db import transaction

    _django(path)
    with transaction.atomic():
        _insert(1, 0)
        inside.set()
        release.wait(TIMEOUT)
        results.put(("committing", time.monotonic()))


def _write_one(path: str, trying: Any, results: Any) -> None:
    _django(path)
    trying.set()
    try:
        _insert(2, 0)
    except Exception as error:
        results.put(("failed", repr(error)))
        return
    results.put(("wrote", time.monotonic()))


def _steps(path: str, pipe: Connection) -> None:
    """Run each step the test sends and answer with the exception it ended in ("" for none)."""
    from django.db import connection, transaction

    from bluelamp.core.db.sqlite3 import base

    def rollback() -> None:
        with transaction.atomic():
            _insert(3, 0)
            raise ValueError("changed my mind")

    def failed_statement() -> None:
        with transaction.atomic():
            _insert(3, 1)
            _insert(3, 1)  # the same row again: UNIQUE fails, the transaction rolls back

    def failed_commit() -> None:
        with transaction.atomic(), connection.cursor() as cursor:  # the deferred foreign key fails at COMMIT
            cursor.execute("INSERT INTO child (parent_id) VALUES (999)")

    def closed_inside() -> None:
        with transaction.atomic():
            _insert(3, 2)
            connection.close()

    def short_wait() -> None:
        base.WAIT_SECONDS = 0.3  # type: ignore[assignment]  # this child only
        try:
            _insert(3, 3)
        finally:
            base.WAIT_SECONDS = 30

    def hold() -> None:
        transaction.atomic().__enter__()  # left open: the test kills this process
        _insert(3, 4)

    steps = {
        "rollback": rollback,
        "failed statement": failed_statement,
        "failed begin": lambda: _insert(3, 5),
        "failed commit": failed_commit,
        "closed inside": closed_inside,
        "short wait": short_wait,
        "write": lambda: _insert(3, 6),
        "hold": hold,
    }
    _django(path)
    while True:
        step = pipe.recv()
        if step is None:
            return
        started = time.monotonic()
        try:
            steps[step]()
        except Exception as error:
            pipe.send((type(error).__name__, str(error), time.monotonic() - started))
            continue
        pipe.send(("", "", time.monotonic() - started))


@pytest.fixture
def database(tmp_path: Path) -> str:
    path = str(tmp_path / "bluelamp.sqlite3")
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE row (process INTEGER, number INTEGER, UNIQUE (process, number))")
        db.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        db.execute("CREATE TABLE child (parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)")
    db.close()
    return path


def _rows(path: str) -> dict[int, int]:
    with sqlite3.connect(path) as db:
        found = dict(db.execute("SELECT process, COUNT(*) FROM row GROUP BY process").fetchall())
    db.close()
    return found


def _lock_is_free(path: str) -> bool:
    """Whether another writer could take both our lock file and SQLite's write lock at once."""
    fd = os.open(path + "-writer.lock", os.O_RDONLY | os.O_CREAT)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        db = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute("ROLLBACK")
        except sqlite3.OperationalError:
            return False
        finally:
            db.close()
        return True
    finally:
        os.close(fd)  # releases our flock


@contextmanager
def _holding_file_lock(path: str) -> Iterator[None]:
    fd = os.open(path + "-writer.lock", os.O_RDONLY | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        os.close(fd)


def test_three_processes_writing_at_once_all_land(database: str) -> None:
    start, results = SPAWN.Barrier(3), SPAWN.Queue()
    processes = [SPAWN.Process(target=_write_many, args=(database, n, start, results)) for n in range(3)]
    for process in processes:
        process.start()
    finished = [results.get(timeout=TIMEOUT) for _ in processes]
    for process in processes:
        process.join(TIMEOUT)
    assert [error for _, error, _, _ in finished if error] == []
    assert _rows(database) == {0: COUNT, 1: COUNT, 2: COUNT}
    # They wrote at the same time: each began before any had finished.
    assert max(began for _, _, began, _ in finished) < min(ended for _, _, _, ended in finished)
    assert _lock_is_free(database)


def test_a_writer_waits_for_another_process_transaction_then_gets_in(database: str) -> None:
    inside, release, trying = SPAWN.Event(), SPAWN.Event(), SPAWN.Event()
    a_results, b_results = SPAWN.Queue(), SPAWN.Queue()
    a = SPAWN.Process(target=_hold_open, args=(database, inside, release, a_results))
    a.start()
    try:
        assert inside.wait(TIMEOUT)
        assert not _lock_is_free(database)  # A holds the writer lock inside its transaction
        b = SPAWN.Process(target=_write_one, args=(database, trying, b_results))
        b.start()
        assert trying.wait(TIMEOUT)
        time.sleep(5 * BUSY_MS / 1000)  # SQLite alone would have failed B by now
        assert b_results.empty()  # B is still waiting
        assert b.is_alive()
    finally:
        release.set()
    committing, committed_at = a_results.get(timeout=TIMEOUT)
    outcome, wrote_at = b_results.get(timeout=TIMEOUT)
    a.join(TIMEOUT)
    b.join(TIMEOUT)
    assert committing == "committing"
    assert outcome == "wrote", wrote_at
    assert committed_at <= wrote_at < committed_at + 0.5  # B woke as soon as A let go
    assert _rows(database) == {1: 1, 2: 1}
    assert _lock_is_free(database)


def test_every_way_a_transaction_ends_lets_the_next_writer_in(database: str) -> None:
    ours, theirs = SPAWN.Pipe()
    child = SPAWN.Process(target=_steps, args=(database, theirs))
    child.start()

    def run(step: str) -> tuple[str, str, float]:
        ours.send(step)
        assert ours.poll(TIMEOUT), step
        answer: tuple[str, str, float] = ours.recv()
        return answer

    try:
        assert run("rollback")[0] == "ValueError"
        assert _lock_is_free(database)
        assert run("failed statement")[0] == "IntegrityError"
        assert _lock_is_free(database)
        assert run("failed commit")[:2] == ("IntegrityError", "FOREIGN KEY constraint failed")
        assert _lock_is_free(database)
        assert run("closed inside")[0] == ""
        assert _lock_is_free(database)

        # BEGIN fails: another program (not ours) holds SQLite's write lock past the busy timeout.
        other = sqlite3.connect(database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            assert run("failed begin")[:2] == ("OperationalError", "database is locked")
            fd = os.open(database + "-writer.lock", os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if the child still held it
            finally:
                os.close(fd)
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert _lock_is_free(database)

        # A wait given up after WAIT_SECONDS: a clear error, and nothing held once the holder goes.
        with _holding_file_lock(database):
            error, message, seconds = run("short wait")
        assert (error, message) == ("OperationalError", "The database stayed busy for 0.3 s: try again.")
        assert 0.3 <= seconds < 2
        time.sleep(0.2)  # the abandoned wait takes the lock now that we let go, and must drop it
        deadline = time.monotonic() + 2
        while not _lock_is_free(database) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _lock_is_free(database)
        assert run("write")[0] == ""
        assert _lock_is_free(database)

        # A process that dies inside a transaction: the kernel releases its lock.
        assert run("hold")[0] == ""
        assert not _lock_is_free(database)
        os.kill(child.pid or 0, signal.SIGKILL)
        child.join(TIMEOUT)
        assert _lock_is_free(database)
    finally:
        if child.is_alive():
            ours.send(None)
            child.join(TIMEOUT)
    assert _rows(database) == {3: 1}  # only the plain write committed
