"""Reads bluelamp's configuration from the environment.

Everything an operator may set is read here, once, and turned into plain values for
``bluelamp.settings``. A value that cannot work stops start-up with a :class:`ConfigError`
whose message is one line saying what is wrong and what to do; unsafe-but-workable
production settings are reported by ``bluelamp check`` instead (see ``core/checks.py``).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url

ENVIRONMENTS = ("development", "test", "production")
DATABASE_SCHEMES = {"sqlite": "sqlite", "postgres": "postgresql", "postgresql": "postgresql", "pgsql": "postgresql"}
DEFAULT_HOSTS = ["127.0.0.1", "localhost", ".localhost", "testserver"]
# Known to everyone, so it proves nothing: only for development and tests (`bluelamp check`
# refuses it in production).
DEV_AUDIT_KEY_ID = "dev"
DEV_AUDIT_KEYS = {DEV_AUDIT_KEY_ID: "bluelamp-development-audit-key-not-secret"}


class ConfigError(Exception):
    """A setting that makes start-up impossible. The message is shown to the operator as is."""


@dataclass(frozen=True)
class Config:
    env: str
    home: Path
    secret_key: str
    allowed_hosts: list[str]
    database: dict[str, Any]
    debug: bool
    ssl_redirect: bool
    idle_timeout_minutes: int
    redis_url: str
    oidc: dict[str, str]
    live_bridge: str = "auto"
    consumers: str = "thread"
    session_max_hours: int = 12
    live_channel: str = "bluelamp_live"
    map_tile_url: str = ""
    map_tile_attribution: str = ""
    notify_api_key: str = ""
    notify_template_id: str = ""
    # Where staff reach this installation; Wagtail puts it in links in its notification emails.
    admin_base_url: str = "http://localhost:8000"
    # The audit chain's keys (key id -> secret), held outside the database, and the id in use.
    audit_keys: dict[str, str] = field(default_factory=lambda: dict(DEV_AUDIT_KEYS))
    audit_key_id: str = DEV_AUDIT_KEY_ID
    audit_checkpoint_dir: Path = Path("var/audit-checkpoints")

    @property
    def production(self) -> bool:
        return self.env == "production"


def load(environ: Mapping[str, str] = os.environ) -> Config:
    env = environ.get("BLUELAMP_ENV", "development").strip().lower()
    if env not in ENVIRONMENTS:
        raise ConfigError(f"BLUELAMP_ENV={env!r} is not known: use one of {', '.join(ENVIRONMENTS)}.")
    home = Path(environ.get("BLUELAMP_HOME") or _default_home()).resolve()
    production = env == "production"
    return Config(
        env=env,
        home=home,
        secret_key=_secret_key(environ, home, production),
        allowed_hosts=_allowed_hosts(environ, production),
        database=_database(
            environ.get("DATABASE_URL", ""),
            home,
            pool_size=_whole_number(environ, "BLUELAMP_DB_POOL_SIZE", default=20, low=2, high=200),
        ),
        debug=_flag(environ, "BLUELAMP_DEBUG", default=not production),
        ssl_redirect=_flag(environ, "BLUELAMP_SSL_REDIRECT", default=production),
        idle_timeout_minutes=_whole_number(environ, "BLUELAMP_IDLE_TIMEOUT_MINUTES", default=30, low=5, high=720),
        session_max_hours=_whole_number(environ, "BLUELAMP_SESSION_MAX_HOURS", default=12, low=1, high=24),
        redis_url=_redis_url(environ.get("REDIS_URL", "").strip()),
        oidc=_oidc(environ),
        live_bridge=_choice(
            environ,
            "BLUELAMP_LIVE_BRIDGE",
            ("auto", "redis", "postgres", "memory"),
            default="memory" if env == "test" else "auto",
        ),
        consumers=_choice(
            environ, "BLUELAMP_CONSUMERS", ("thread", "inline", "off"), default="inline" if env == "test" else "thread"
        ),
        live_channel=_live_channel(environ.get("BLUELAMP_LIVE_CHANNEL", "").strip() or "bluelamp_live"),
        map_tile_url=_tile_url(environ.get("BLUELAMP_MAP_TILE_URL", "").strip()),
        map_tile_attribution=environ.get("BLUELAMP_MAP_TILE_ATTRIBUTION", "").strip(),
        notify_api_key=environ.get("NOTIFY_API_KEY", "").strip(),
        notify_template_id=_notify_template(environ),
        admin_base_url=environ.get("BLUELAMP_BASE_URL", "").strip().rstrip("/") or "http://localhost:8000",
        **_audit_keys(environ),
        audit_checkpoint_dir=Path(
            environ.get("BLUELAMP_AUDIT_CHECKPOINT_DIR", "").strip() or home / "var" / "audit-checkpoints"
        ),
    )


def _audit_keys(environ: Mapping[str, str]) -> dict[str, Any]:
    """``BLUELAMP_AUDIT_KEYS=2026a:secret,2027a:secret`` (every key still needed to verify old
    entries) and ``BLUELAMP_AUDIT_KEY_ID`` (the one new entries use; default: the last listed)."""
    raw = environ.get("BLUELAMP_AUDIT_KEYS", "").strip()
    if not raw:
        return {"audit_keys": dict(DEV_AUDIT_KEYS), "audit_key_id": DEV_AUDIT_KEY_ID}
    keys: dict[str, str] = {}
    for item in raw.split(","):
        key_id, _, secret = item.strip().partition(":")
        if not key_id.strip() or len(secret.strip()) < 32:
            raise ConfigError(
                "BLUELAMP_AUDIT_KEYS must list key-id:secret pairs, comma-separated, each secret at least 32 "
                "characters: generate one with `python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
            )
        keys[key_id.strip()] = secret.strip()
    current = environ.get("BLUELAMP_AUDIT_KEY_ID", "").strip() or list(keys)[-1]
    if current not in keys:
        raise ConfigError(f"BLUELAMP_AUDIT_KEY_ID={current!r} is not in BLUELAMP_AUDIT_KEYS: add its secret there.")
    return {"audit_keys": keys, "audit_key_id": current}


def _choice(environ: Mapping[str, str], name: str, allowed: tuple[str, ...], *, default: str) -> str:
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in allowed:
        raise ConfigError(f"{name}={raw!r} is not known: use one of {', '.join(allowed)}.")
    return raw


def _live_channel(name: str) -> str:
    import re

    if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name):
        raise ConfigError(f"BLUELAMP_LIVE_CHANNEL={name!r}: use lower-case letters, digits and _ (at most 63).")
    return name


def _tile_url(url: str) -> str:
    if url and not (url.startswith("https://") and "{z}" in url and "{x}" in url and "{y}" in url):
        raise ConfigError(
            f"BLUELAMP_MAP_TILE_URL={url!r} must be an https:// URL with {{z}}, {{x}} and {{y}} in it "
            "(e.g. https://tiles.example.org/{z}/{x}/{y}.png)."
        )
    return url


def _notify_template(environ: Mapping[str, str]) -> str:
    """GOV.UK Notify sends the public's receipts when NOTIFY_API_KEY is set; it needs the template."""
    template = environ.get("NOTIFY_TEMPLATE_ID", "").strip()
    if environ.get("NOTIFY_API_KEY", "").strip() and not template:
        raise ConfigError(
            "NOTIFY_API_KEY is set, so GOV.UK Notify also needs NOTIFY_TEMPLATE_ID "
            "(an email template with ((subject)) and ((body)))."
        )
    return template


OIDC_REQUIRED = (
    "OIDC_RP_CLIENT_SECRET",
    "OIDC_OP_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT",
)


def _oidc(environ: Mapping[str, str]) -> dict[str, str]:
    """Single sign-on settings, all or nothing: OIDC_RP_CLIENT_ID switches it on."""
    client_id = environ.get("OIDC_RP_CLIENT_ID", "").strip()
    if not client_id:
        return {}
    missing = [name for name in OIDC_REQUIRED if not environ.get(name, "").strip()]
    if missing:
        raise ConfigError(
            f"OIDC_RP_CLIENT_ID is set, so single sign-on also needs {', '.join(missing)} "
            "(from your identity provider's discovery document)."
        )
    settings = {name: environ[name].strip() for name in OIDC_REQUIRED}
    settings["OIDC_RP_CLIENT_ID"] = client_id
    settings["BLUELAMP_OIDC_FORCE"] = environ.get("BLUELAMP_OIDC_FORCE", "").strip()
    settings["BLUELAMP_OIDC_PROVIDER"] = environ.get("BLUELAMP_OIDC_PROVIDER", "").strip() or "single sign-on"
    # Tenant ids (Entra ID's "tid" claim), comma-separated: only people of these tenants sign in.
    settings["BLUELAMP_OIDC_TENANTS"] = environ.get("BLUELAMP_OIDC_TENANTS", "").strip()
    return settings


def _whole_number(environ: Mapping[str, str], name: str, *, default: int, low: int, high: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ConfigError(f"{name}={raw!r} must be a whole number from {low} to {high}.")
    return int(raw)


def _redis_url(url: str) -> str:
    if url and not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(f"REDIS_URL {_redacted(url)!r} is not a Redis URL: write redis://host:6379/0.")
    return url


def _default_home() -> Path:
    """The source checkout when running from one (so `bluelamp` works from any directory),
    otherwise the current directory."""
    checkout = Path(__file__).resolve().parents[2]
    return checkout if (checkout / "pyproject.toml").exists() else Path.cwd()


def _flag(environ: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a yes/no value: use true or false.")


def _secret_key(environ: Mapping[str, str], home: Path, production: bool) -> str:
    key = environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    if production:
        raise ConfigError(
            "SECRET_KEY must be set when BLUELAMP_ENV=production: generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'` and keep it secret."
        )
    # Development and tests: generate a key once and keep it, so sessions survive restarts.
    path = home / "var" / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _allowed_hosts(environ: Mapping[str, str], production: bool) -> list[str]:
    raw = environ.get("ALLOWED_HOSTS", "")
    hosts = [host.strip() for host in raw.split(",") if host.strip()]
    if hosts:
        return hosts
    if production:
        raise ConfigError(
            "ALLOWED_HOSTS must be set when BLUELAMP_ENV=production: a comma-separated list of the "
            "host names this service answers to, e.g. ALLOWED_HOSTS=police.example.org."
        )
    return list(DEFAULT_HOSTS)


def _database(url: str, home: Path, *, pool_size: int = 20) -> dict[str, Any]:
    if not url.strip():
        url = f"sqlite:///{home / 'var' / 'bluelamp.sqlite3'}"
    shown = _redacted(url)
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in DATABASE_SCHEMES:
        raise ConfigError(
            f"DATABASE_URL {shown!r} is not a database URL bluelamp can use: write "
            "sqlite:///path/to/file.sqlite3 or postgresql://user:password@host:5432/name."
        )
    try:
        parsed: dict[str, Any] = dict(dj_database_url.parse(url))
    except (ValueError, KeyError) as error:
        raise ConfigError(f"DATABASE_URL {shown!r} could not be read ({error}): check its spelling.") from None
    if DATABASE_SCHEMES[scheme] == "sqlite":
        return _sqlite(parsed, shown)
    if not parsed.get("NAME"):
        raise ConfigError(f"DATABASE_URL {shown!r} names no database: add one after the host, e.g. /bluelamp.")
    # Django's connection pool, not persistent connections: under ASGI each request runs on a
    # thread of its own, and per-thread persistent connections would pile up (Django's docs).
    parsed["CONN_MAX_AGE"] = 0
    options = parsed.setdefault("OPTIONS", {})
    options["pool"] = {"min_size": 2, "max_size": pool_size, "timeout": 10}
    return parsed


def _sqlite(parsed: dict[str, Any], shown: str) -> dict[str, Any]:
    name = str(parsed.get("NAME") or "")
    if not name or name == ":memory:":
        raise ConfigError(f"DATABASE_URL {shown!r} names no SQLite file: write sqlite:///path/to/file.sqlite3.")
    Path(name).parent.mkdir(parents=True, exist_ok=True)
    # Django's own backend and options: WAL lets readers carry on while one writer commits;
    # IMMEDIATE takes the write lock at the start of a transaction, so concurrent writers wait
    # (up to ``timeout`` seconds) instead of failing with "database is locked" half-way.
    parsed["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Under ASGI each request runs on a thread of its own: a connection per request (Django's docs).
    parsed["CONN_MAX_AGE"] = 0
    return parsed


def _redacted(url: str) -> str:
    """The URL with any password hidden, safe to print."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unreadable>"
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url
