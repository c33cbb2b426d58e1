"""What `bluelamp check` and `bluelamp serve` look at: settings, database, migrations, assets."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from django.conf import settings
from django.core import checks
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

Level = Literal["ok", "warning", "error"]


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
