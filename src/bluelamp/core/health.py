"""What `bluelamp check`, `bluelamp serve` and ``/healthz`` look at: settings, database,
migrations, assets, and how far behind each consumer of the outbox is."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from django.conf import settings
from django.core import checks
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from bluelamp.core import consumers

Level = Literal["ok", "warning", "error"]
LAGGING_SECONDS = 60.0  # a consumer this far behind is worth a look (live screens expect about a second)


@dataclass(frozen=True)
class Finding:
    level: Level
    message: str
    hint: str = ""


def platform_findings(*, deploy: bool) -> list[Finding]:
    findings = _settings_findings(deploy=deploy)
    database = _database_finding()
    findings.append(database)
    if database.level == "ok":
        findings.append(_migrations_finding())
        if findings[-1].level == "ok":
            findings.append(consumers_finding())
    findings.append(_assets_finding())
    return findings


def _settings_findings(*, deploy: bool) -> list[Finding]:
    found: list[Finding] = []
    for message in checks.run_checks(include_deployment_checks=deploy):
        if message.level < checks.WARNING or message.is_silenced():
            continue
        level: Level = "error" if message.level >= checks.ERROR else "warning"
        found.append(Finding(level, f"{message.msg} [{message.id}]", message.hint or ""))
    if not found:
        found.append(Finding("ok", "Settings are sound" + (" for production." if deploy else ".")))
    return found


def _database_finding() -> Finding:
    vendor, name = connection.vendor, connection.settings_dict.get("NAME")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return Finding(
            "error",
            f"Cannot reach the {vendor} database {name}: {first_line}",
            "Check DATABASE_URL and that the database server is running.",
        )
    return Finding("ok", f"The {vendor} database {name} answers.")


def _migrations_finding() -> Finding:
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        return Finding("error", f"{len(pending)} database migration(s) not applied.", "Run: bluelamp migrate")
    return Finding("ok", "The database schema is up to date.")


def _assets_finding() -> Finding:
    if settings.WHITENOISE_USE_FINDERS:
        built = Path(settings.STATICFILES_DIRS[0]) / "css" / "staff.css"
        hint = "Run `make setup` (or `npm ci && npm run build`)."
    else:
        built = Path(settings.STATIC_ROOT) / "css" / "staff.css"
        hint = "Run `npm ci && npm run build`, then `bluelamp collectstatic`."
    if not built.exists():
        return Finding("error", f"Front-end assets are not built ({built} is missing).", hint)
    return Finding("ok", "Front-end assets are built.")


def consumers_report() -> dict[str, dict[str, object]]:
    """Each consumer's lag and last error, for ``/healthz``."""
    return {lag.name: lag.as_dict() for lag in consumers.lags()}


def consumers_finding() -> Finding:
    lags = consumers.lags()
    failing = [lag for lag in lags if lag.failing_event_id is not None]
    behind = [lag for lag in lags if lag.oldest_seconds > LAGGING_SECONDS]
    if failing:
        names = "; ".join(f"{lag.name} ({lag.attempts} attempts): {lag.last_error}" for lag in failing)
        return Finding(
            "warning",
            f"Outbox consumers failing, retrying with backoff: {names}",
            "Fix the cause; each retries by itself. `bluelamp consume --once` runs them now.",
        )
    if behind:
        names = ", ".join(f"{lag.name} ({lag.behind} events, {lag.oldest_seconds:.0f} s)" for lag in behind)
        return Finding(
            "warning",
            f"Outbox consumers behind: {names}",
            "Are the web workers running (or `bluelamp consume`, with BLUELAMP_CONSUMERS=off)?",
        )
    return Finding("ok", f"{len(lags)} outbox consumers are up to date.")
