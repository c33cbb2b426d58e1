"""Fixtures shared by every test. Tests run on SQLite by default and on PostgreSQL when
DATABASE_URL points at one (`make test` does both when BLUELAMP_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pytest

os.environ.setdefault("BLUELAMP_ENV", "test")

from tests.browser.support import browser, page  # noqa: F401 - one browser for every test folder

ROOT = Path(__file__).resolve().parents[1]
# How long a command or a server may take before a test calls it hung. Generous on purpose: this
# guards against a hang and measures nothing. Machines of the same kind here differ in speed by
# three times and more; on the slowest, a fresh `bluelamp migrate` took over a minute while the
# rest of the suite ran beside it.
HANG_SECONDS = 600
T = TypeVar("T")


def run_in_a_thread_of_its_own(run: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run(run())`` on a new thread: a browser test earlier in the run may leave an
    event loop on this one, where ``asyncio.run`` refuses to start another."""
    results: list[T] = []
    runner = threading.Thread(target=lambda: results.append(asyncio.run(run())))
    runner.start()
    runner.join()
    if not results:
        raise RuntimeError("the coroutine raised: see the exception printed above")
    return results[0]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """On SQLite, the test database is a file, as in production, not Django's in-memory default.
    Every connection to that in-memory database shares one cache (SQLite's shared-cache mode),
    where a write that meets another connection's lock fails at once ("database table is
    locked") instead of waiting. The live server answers each request on a thread of its own,
    so two requests at once (a page, and the map data its script fetches) failed at random.
    With a file, writers wait their turn (IMMEDIATE transactions, a busy timeout), as in production."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("database") / "test.sqlite3")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate-limit counters live in the cache, forces and boroughs in each process's memory; each
    test starts with none (ids are reused once a test's rows are rolled back)."""
    from django.core.cache import cache

    from bluelamp.core import selectors

    cache.clear()
    selectors.forget_area_index()


_test_numbers = itertools.count()


@pytest.fixture(autouse=True)
def _own_audit_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each test publishes and reads checkpoints of its own (the files outlive a rolled-back
    database); the folder is made only by a test that publishes."""
    from django.test import override_settings

    folder = tmp_path_factory.getbasetemp() / "audit-checkpoints" / str(next(_test_numbers))
    with override_settings(BLUELAMP_AUDIT_CHECKPOINT_DIR=folder):
        yield


@pytest.fixture
def london(db: None) -> None:
    """The real London boundaries and the Met's BCUs, loaded from the shipped files. Loaded on
    demand because tests that use transactional_db empty the tables when they finish."""
    from bluelamp.core import services
    from bluelamp.core.models import Borough

    if Borough.objects.count() != 33:
        services.load_geography()


RunBluelamp = Callable[..., subprocess.CompletedProcess[str]]
HIDDEN_FROM_COMMANDS = {"DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS", "BLUELAMP_ENV", "DJANGO_SETTINGS_MODULE"}


def command_environment(home: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a `bluelamp` command gets in tests: this one without the database and
    settings it points at, the given home, and ``env``."""
    environment = {key: value for key, value in os.environ.items() if key not in HIDDEN_FROM_COMMANDS}
    return environment | {"BLUELAMP_HOME": str(home)} | (env or {})


def _bluelamp(
    home: Path, *args: str, env: dict[str, str] | None = None, timeout: float = HANG_SECONDS
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bluelamp", *args],
        capture_output=True,
        text=True,
        env=command_environment(home, env),
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def run_bluelamp(tmp_path: Path) -> RunBluelamp:
    """Run the `bluelamp` command in a fresh process with a controlled environment, the way an
    operator would, and return what it printed."""
    return partial(_bluelamp, tmp_path)


@pytest.fixture(scope="session")
def _migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database made by `bluelamp migrate`, once for the session: a fresh migrate takes
    20 s and more on a slow machine."""
    home = tmp_path_factory.mktemp("migrated")
    result = _bluelamp(home, "migrate", "--verbosity", "0")
    assert result.returncode == 0, result.stderr
    return home / "var" / "bluelamp.sqlite3"


@pytest.fixture
def migrate_home(tmp_path: Path, _migrated_database: Path) -> Callable[[], None]:
    """Give the test's home (``run_bluelamp``'s) what `bluelamp migrate` makes: a copy of the
    session's migrated database."""

    def migrate() -> None:
        (tmp_path / "var").mkdir(exist_ok=True)
        for made in _migrated_database.parent.glob(_migrated_database.name + "*"):  # with its WAL, if any
            shutil.copyfile(made, tmp_path / "var" / made.name)

    return migrate
