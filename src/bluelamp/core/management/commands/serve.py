"""`bluelamp serve`: the platform on uvicorn, with Django's own ASGI handler (ADR 0015).

The options are passed to uvicorn as they are. SQLite takes one process (its writers take turns
within it); several workers mean PostgreSQL, so `--workers` above 1 on SQLite is refused."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from bluelamp.core.health import platform_findings


class Command(BaseCommand):
    help = "Serve the platform with uvicorn. Refuses to start while `bluelamp check` finds an error."
    requires_system_checks: list[str] = []  # platform_findings runs them, with deploy checks in production

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1, help="processes (more than one needs PostgreSQL)")
        parser.add_argument("--reload", action="store_true", help="restart when code changes (development)")

    def handle(self, *args: Any, host: str, port: int, workers: int, reload: bool, **options: Any) -> None:
        import uvicorn

        if refusal := workers_refusal(workers):
            raise CommandError(refusal)
        production = settings.BLUELAMP_ENV == "production"
        problems = [f for f in platform_findings(deploy=production) if f.level == "error"]
        if problems:
            lines = "\n".join(f"  - {p.message} {p.hint}".rstrip() for p in problems)
            raise CommandError(f"Not starting: fix these first (see `bluelamp check`):\n{lines}")
        if warning := several_workers_warning(1 if reload else workers):
            self.stderr.write(warning)
        self.stdout.write(f"bluelamp ({settings.BLUELAMP_ENV}) serving at http://{host}:{port}/  — Ctrl-C stops it")
        uvicorn.run(
            "bluelamp.asgi:application",
            host=host,
            port=port,
            workers=None if reload else workers,
            reload=reload,
            lifespan="off",  # Django's ASGI handler speaks HTTP only
            log_level="warning",
            log_config=None,  # keep Django's logging configuration
            proxy_headers=production,
        )


def workers_refusal(workers: int) -> str:
    """Why ``workers`` processes cannot serve this database, or ""."""
    if workers < 1:
        return f"--workers {workers}: give at least 1."
    if workers > 1 and connections["default"].vendor == "sqlite":
        return (
            f"--workers {workers} on SQLite: SQLite is for one process (its writers take turns within it). "
            "Serve with --workers 1, or set DATABASE_URL to PostgreSQL for several workers."
        )
    return ""


def several_workers_warning(workers: int) -> str:
    """What to tell an operator who starts several workers with nothing to carry live notices
    between them (the live bridge is ``memory``: SQLite without REDIS_URL), or ""."""
    from bluelamp.core.live_bridge import configured_kind

    if workers < 2 or configured_kind() != "memory":
        return ""
    return (
        f"Warning: {workers} workers, but no live bridge between them: a live screen sees only the changes "
        "made through its own worker. Set REDIS_URL (or use PostgreSQL with BLUELAMP_LIVE_BRIDGE=auto)."
    )
