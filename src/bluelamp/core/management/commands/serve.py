"""`bluelamp serve`: the platform over ASGI with uvicorn (needed for live server-sent events)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bluelamp.core import listening
from bluelamp.core.health import platform_findings


class Command(BaseCommand):
    help = "Serve the platform over ASGI (uvicorn). Refuses to start while `bluelamp check` finds an error."
    requires_system_checks: list[str] = []  # platform_findings runs them, with deploy checks in production

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="processes; several work on SQLite too, but live screens need REDIS_URL or PostgreSQL to hear all",
        )
        parser.add_argument("--reload", action="store_true", help="restart when code changes (development)")

    def handle(self, *args: Any, host: str, port: int, workers: int, reload: bool, **options: Any) -> None:
        import uvicorn

        production = settings.BLUELAMP_ENV == "production"
        problems = [f for f in platform_findings(deploy=production) if f.level == "error"]
        if problems:
            lines = "\n".join(f"  - {p.message} {p.hint}".rstrip() for p in problems)
            raise CommandError(f"Not starting: fix these first (see `bluelamp check`):\n{lines}")
        if warning := several_workers_warning(1 if reload else workers):
            self.stderr.write(warning)
        self.stdout.write(f"bluelamp ({settings.BLUELAMP_ENV}) serving at http://{host}:{port}/  — Ctrl-C stops it")
        served: dict[str, Any] = {
            "host": host,
            "port": port,
            "lifespan": "on",  # each worker loads its views and area index before taking requests
            "log_level": "warning",
            "log_config": None,  # keep Django's logging configuration
            "proxy_headers": production,
        }
        if workers > 1 and not reload:
            _serve_with_a_socket_per_worker(uvicorn.Config("bluelamp.asgi:application", workers=workers, **served))
        else:
            uvicorn.run("bluelamp.asgi:application", reload=reload, **served)


def _serve_with_a_socket_per_worker(config: Any) -> None:
    """uvicorn's supervisor (it restarts a worker that dies and stops them all on a signal), with
    a listening socket per worker on the same port, so that connections are spread across the
    workers (bluelamp.core.listening)."""
    from uvicorn.supervisors import Multiprocess

    try:
        listening.check_free(config.host, config.port)
    except OSError as error:
        raise CommandError(
            f"Cannot listen on {config.host}:{config.port} ({error.strerror}): is bluelamp running already?"
        ) from None
    sockets = [listening.SocketPerWorker(config.host, config.port, config.backlog)]
    Multiprocess(config, sockets=sockets).run()  # type: ignore[arg-type]  # a socket in each worker


def several_workers_warning(workers: int) -> str:
    """What to tell an operator who starts several workers with nothing to carry live notices
    between them (the live bridge is ``memory``: SQLite without REDIS_URL), or ""."""
    from bluelamp.core.live_bridge import configured_kind

    if workers < 2 or configured_kind() != "memory":
        return ""
    return (
        f"Warning: {workers} workers, but no live bridge between them: a live screen sees only the changes "
        "made through its own worker. Set REDIS_URL (or use PostgreSQL)."
    )
