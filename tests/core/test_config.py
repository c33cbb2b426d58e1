"""Configuration from the environment: safe defaults, and one-line answers for mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from bluelamp.config import ConfigError, load

STRONG_KEY = "k" * 20 + "Zq8#xP2!vB7@nM4$wL9%tR6^yU3&" + "a1b2c3"


def test_development_defaults_to_sqlite_in_var_with_wal(tmp_path: Path) -> None:
    config = load({"BLUELAMP_HOME": str(tmp_path)})
    assert config.env == "development"
    assert config.database["ENGINE"] == "django.db.backends.sqlite3"  # Django's own backend and options
    assert config.database["NAME"] == str(tmp_path / "var" / "bluelamp.sqlite3")
    assert "journal_mode=WAL" in config.database["OPTIONS"]["init_command"]
    assert config.database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert config.database["OPTIONS"]["timeout"] == 20  # writers wait their turn rather than fail


def test_development_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = load({"BLUELAMP_HOME": str(tmp_path)}).secret_key
    second = load({"BLUELAMP_HOME": str(tmp_path)}).secret_key
    assert first == second
    assert len(first) >= 50
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0


def test_postgresql_url_is_parsed_with_a_connection_pool(tmp_path: Path) -> None:
    config = load({"BLUELAMP_HOME": str(tmp_path), "DATABASE_URL": "postgresql://bl:pw@db.example:5433/bluelamp"})
    assert config.database["ENGINE"] == "django.db.backends.postgresql"
    assert (config.database["HOST"], config.database["PORT"], config.database["NAME"]) == (
        "db.example",
        5433,
        "bluelamp",
    )
    assert config.database["CONN_MAX_AGE"] == 0
    assert config.database["OPTIONS"]["pool"]["max_size"] == 20


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "is not a database URL"),
        ("mysql://root@localhost/x", "is not a database URL"),
        ("postgresql://bl:secret@host:5432", "names no database"),
        ("sqlite://", "names no SQLite file"),
    ],
)
def test_malformed_database_url_is_one_clear_line_without_the_password(tmp_path: Path, url: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load({"BLUELAMP_HOME": str(tmp_path), "DATABASE_URL": url})
    message = str(raised.value)
    assert expected in message
    assert "\n" not in message
    assert "secret" not in message


def test_production_requires_a_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        load({"BLUELAMP_HOME": str(tmp_path), "BLUELAMP_ENV": "production", "ALLOWED_HOSTS": "police.example"})
    assert not (tmp_path / "var" / "secret_key").exists()


def test_production_requires_allowed_hosts(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ALLOWED_HOSTS must be set"):
        load({"BLUELAMP_HOME": str(tmp_path), "BLUELAMP_ENV": "production", "SECRET_KEY": STRONG_KEY})


def test_production_turns_debug_off_and_https_on(tmp_path: Path) -> None:
    config = load(
        {
            "BLUELAMP_HOME": str(tmp_path),
            "BLUELAMP_ENV": "production",
            "SECRET_KEY": STRONG_KEY,
            "ALLOWED_HOSTS": "police.example, www.police.example",
        }
    )
    assert config.debug is False
    assert config.ssl_redirect is True
    assert config.allowed_hosts == ["police.example", "www.police.example"]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"BLUELAMP_ENV": "staging"}, "BLUELAMP_ENV='staging' is not known"),
        ({"BLUELAMP_DEBUG": "maybe"}, "BLUELAMP_DEBUG='maybe' is not a yes/no value"),
    ],
)
def test_unknown_values_are_refused(tmp_path: Path, environ: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        load({"BLUELAMP_HOME": str(tmp_path), **environ})
