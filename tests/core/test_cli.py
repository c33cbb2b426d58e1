"""The `bluelamp` command as an operator meets it, run in a separate process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import ROOT, RunBluelamp
from tests.core.test_config import STRONG_KEY


def test_help_lists_the_commands(run_bluelamp: RunBluelamp) -> None:
    result = run_bluelamp("--help")
    assert result.returncode == 0
    for command in ("serve", "migrate", "demo", "check", "load-geography", "locate"):
        assert f"\n  {command} " in result.stdout


def test_malformed_database_url_stops_start_up_with_one_line(run_bluelamp: RunBluelamp) -> None:
    result = run_bluelamp("check", env={"DATABASE_URL": "postgres//oops"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("bluelamp: configuration error: DATABASE_URL 'postgres//oops' is not a database URL")


def test_production_without_secret_key_refuses_to_serve(run_bluelamp: RunBluelamp) -> None:
    result = run_bluelamp("serve", env={"BLUELAMP_ENV": "production", "ALLOWED_HOSTS": "police.example"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "bluelamp: configuration error: SECRET_KEY must be set when BLUELAMP_ENV=production: generate one with "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'` and keep it secret."
    )


def test_check_flags_an_unsafe_production_configuration(run_bluelamp: RunBluelamp) -> None:
    unsafe = {
        "BLUELAMP_ENV": "production",
        "SECRET_KEY": "short-and-guessable",
        "ALLOWED_HOSTS": "*",
        "BLUELAMP_DEBUG": "true",
    }
    result = run_bluelamp("check", env=unsafe)
    assert result.returncode == 1
    for problem in ("bluelamp.E001", "bluelamp.E002", "bluelamp.E003", "bluelamp.W004", "bluelamp.E010"):
        assert problem in result.stdout
    assert "must be fixed" in result.stdout


def test_serve_refuses_unsafe_production_settings_and_says_which(run_bluelamp: RunBluelamp) -> None:
    result = run_bluelamp("serve", env={"BLUELAMP_ENV": "production", "SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "*"})
    assert result.returncode == 1
    assert "Not starting" in result.stderr
    assert "ALLOWED_HOSTS contains '*'" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_passes_a_sound_development_setup_once_migrated(
    run_bluelamp: RunBluelamp, migrate_home: Callable[[], None], tmp_path: Path
) -> None:
    (tmp_path / "build").symlink_to(ROOT / "build")  # the assets `make` built
    before = run_bluelamp("check")
    assert before.returncode == 1
    assert "migration(s) not applied" in before.stdout
    migrate_home()
    after = run_bluelamp("check")
    assert after.returncode == 0, after.stdout
    assert "The database schema is up to date." in after.stdout
    assert "Settings are sound." in after.stdout
    assert "No problems" in after.stdout


def test_locate_names_the_borough_or_says_outside(run_bluelamp: RunBluelamp, migrate_home: Callable[[], None]) -> None:
    migrate_home()
    assert run_bluelamp("load-geography").returncode == 0
    inside = run_bluelamp("locate", "51.50809", "-0.12804")
    assert inside.returncode == 0
    assert "borough: Westminster (E09000033)" in inside.stdout
    outside = run_bluelamp("locate", "51.0", "1.6")
    assert outside.returncode == 1
    assert "outside every force area" in outside.stderr
