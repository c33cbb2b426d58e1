"""`bluelamp serve`: several workers need PostgreSQL; SQLite is for one process, and asking for
more is refused, before anything starts, with what to do instead."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from bluelamp.core.management.commands.serve import workers_refusal


def test_several_workers_are_refused_on_sqlite_and_served_on_postgresql() -> None:
    assert workers_refusal(1) == ""
    if connection.vendor == "postgresql":
        assert workers_refusal(2) == ""
        return
    assert "SQLite is for one process" in workers_refusal(2)
    assert "DATABASE_URL to PostgreSQL" in workers_refusal(2)
    with pytest.raises(CommandError, match="SQLite is for one process"):
        call_command("serve", workers=2, port=8199)  # refused before uvicorn is started


def test_no_workers_is_refused() -> None:
    assert "at least 1" in workers_refusal(0)
