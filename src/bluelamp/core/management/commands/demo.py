"""`bluelamp demo`: set up a demonstration platform (never in production) and serve it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from bluelamp.core import demo_setup


class Command(BaseCommand):
    help = "Create the demo forces, London geography and sign-ins, print them, and serve the platform."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="set up and print the sign-ins, then stop")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args: Any, no_serve: bool, host: str, port: int, **options: Any) -> None:
        if settings.BLUELAMP_ENV == "production":
            raise CommandError("The demo creates well-known sign-ins, so it never runs with BLUELAMP_ENV=production.")
        console = Console()
        with console.status("Preparing the database…"):
            call_command("migrate", interactive=False, verbosity=0)
        with console.status("Loading forces and London geography…"):
            demo_setup.load_reference_data()
        sign_ins = demo_setup.create_sign_ins()
        base = f"http://{host}:{port}"
        table = Table(title="Demo sign-ins (password for all: " + demo_setup.DEMO_PASSWORD + ")", title_justify="left")
        table.add_column("user name")
        table.add_column("who")
        for username, description in sign_ins:
            table.add_row(username, description)
        console.print(table)
        console.print(f"Home:       {base}/")
        console.print(f"Sign in:    {base}/sign-in/")
        console.print(f"API docs:   {base}/api/v1/docs")
        console.print(f"Admin:      {base}/admin/")
        console.print(f"Force sites: http://met.localhost:{port}/ (also cityoflondon, thamesvalley, hampshire)")
        console.print(f"             or {base}/sites/met/; edit them at {base}/cms/")
        if not no_serve:
            call_command("serve", host=host, port=port)
