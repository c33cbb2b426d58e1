"""`bluelamp demo`: set up a demonstration platform (never in production) and serve it, with
London moving in it when asked (`--simulate`, as `make demo` does)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from bluelamp.demo import history, scenario
from bluelamp.demo import setup as demo_setup
from bluelamp.demo.background import simulate_in_background
from bluelamp.demo.simulator import Settings


class Command(BaseCommand):
    help = "Create the demo forces, London, sign-ins and units, print the sign-ins, and serve the platform."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="set up and print the sign-ins, then stop")
        parser.add_argument("--simulate", action="store_true", help="run the live simulation while serving")
        parser.add_argument("--units", type=int, default=None, help="units in the Met (default: the scenario's)")
        parser.add_argument("--seed", type=int, default=4711, help="the same seed gives the same scenario")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(
        self,
        *args: Any,
        no_serve: bool,
        simulate: bool,
        units: int | None,
        seed: int,
        host: str,
        port: int,
        **options: Any,
    ) -> None:
        if settings.BLUELAMP_ENV == "production":
            raise CommandError("The demo creates well-known sign-ins, so it never runs with BLUELAMP_ENV=production.")
        console = Console()
        with console.status("Preparing the database…"):
            call_command("migrate", interactive=False, verbosity=0)
        with console.status("Loading forces, London geography and the force websites…"):
            demo_setup.load_reference_data()
        sign_ins = demo_setup.create_sign_ins()
        units = units or scenario.spec()["units"]["default_count"]
        with console.status(f"Building the scenario (seed {seed}): workforce and {units:,} units…") as status:
            built = scenario.build(seed=seed, units=units, report=lambda text: status.update(text))
            scenario.start_operation()
            status.update("Recording a few weeks of past incidents for the history panels…")
            history.seed_history(seed=seed)
        base = f"http://{host}:{port}"
        table = Table(title="Demo sign-ins (password for all: " + demo_setup.DEMO_PASSWORD + ")", title_justify="left")
        table.add_column("user name")
        table.add_column("who")
        for username, description in sign_ins:
            table.add_row(username, description)
        console.print(table)
        console.print(
            f"The Met has {built.units:,} units ({built.on_duty:,} on duty) crewed by {built.people:,} people."
        )
        console.print(f"Home:        {base}/")
        console.print(f"Sign in:     {base}/sign-in/   (try met-dispatcher, then open the map and the command view)")
        console.print(f"Control:     {base}/control/incidents/   {base}/control/map/   {base}/control/command/")
        console.print(f"Force sites: http://met.localhost:{port}/ (also cityoflondon, thamesvalley, hampshire)")
        console.print(f"             or {base}/sites/met/; report online at {base}/sites/met/report/")
        console.print(f"Edit sites:  {base}/cms/   API docs: {base}/api/v1/docs   Admin: {base}/admin/")
        if no_serve:
            return
        if simulate:
            simulate_in_background(Settings(seed=seed))
            console.print("Simulation running: calls, online reports and units moving in real time (Ctrl-C stops all).")
        call_command("serve", host=host, port=port)
