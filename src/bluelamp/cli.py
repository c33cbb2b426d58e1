"""The ``bluelamp`` command. Each sub-command is a Django management command; this wrapper
gives them readable names, a clear ``--help`` and one-line answers for configuration mistakes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.table import Table

from bluelamp import __version__
from bluelamp.config import ConfigError

# CLI name -> (management command, what it does). Anything else is passed to Django as is.
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("serve", "Serve the platform over ASGI (uvicorn); refuses unsafe production settings."),
    "migrate": ("migrate", "Create or update the database tables."),
    "demo": ("demo", "Set up the demo (forces, London, sign-ins, units) and serve it; --simulate brings it to life."),
    "simulate": ("simulate", "Run calls, reports, dispatch and moving units through the platform (--speed 60)."),
    "check": ("platform_check", "Check configuration, database, migrations and assets; explain each problem."),
    "load-geography": ("load_geography", "Load force areas, BCUs and boroughs from GeoJSON (London by default)."),
    "locate": ("locate", "Say which force, BCU and borough a point is in (lat/lon or British National Grid)."),
    "verify-logs": ("verify_logs", "Check every incident log's hash chain; name the first tampered entry."),
    "verify-audit": ("verify_audit", "Check the audit trail's hash chain; name the first tampered entry."),
    "consume": ("consume", "Run the outbox's consumers in a process of their own (--once, --list)."),
    "deliver-reports": ("deliver_reports", "Deliver online reports to forces and bring status changes back (--once)."),
    "purge-reports": ("purge_reports", "Erase online reporters' contact details and evidence past retention."),
    "online-catalogue": ("online_catalogue", "Check or install the online report journeys (service catalogue)."),
}


@contextmanager
def exit_on_config_error() -> Iterator[None]:
    """Turn a configuration mistake into one line on stderr and exit status 2, not a traceback."""
    try:
        yield
    except ConfigError as error:
        print(f"bluelamp: configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def print_help(console: Console) -> None:
    console.print(f"[bold]bluelamp[/bold] {__version__} — one platform for a police force\n")
    console.print("Usage: bluelamp <command> [options]   (bluelamp <command> --help for its options)\n")
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
    table.add_column("command")
    table.add_column("what it does")
    for name, (_, summary) in COMMANDS.items():
        table.add_row(name, summary)
    console.print(table)
    console.print(
        "\nEvery Django management command works too, e.g. [italic]bluelamp createsuperuser[/italic].\n"
        "Settings come from the environment: BLUELAMP_ENV, DATABASE_URL, SECRET_KEY, ALLOWED_HOSTS "
        "(see docs/operations.md)."
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in {"-h", "--help", "help"}:
        print_help(Console())
        return 0
    if args[0] == "--version":
        print(__version__)
        return 0
    name, rest = args[0], args[1:]
    command = COMMANDS.get(name, (name, ""))[0]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bluelamp.settings")
    with exit_on_config_error():
        from django.core.management import execute_from_command_line

        execute_from_command_line(["bluelamp", command, *rest])
    return 0


if __name__ == "__main__":  # pragma: no cover - python -m bluelamp.cli
    sys.exit(main())
