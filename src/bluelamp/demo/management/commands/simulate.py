"""`bluelamp simulate`: run London through the platform, faster than life if asked."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.live import Live

from bluelamp.control.models import Resource
from bluelamp.demo import scenario
from bluelamp.demo import setup as demo_setup
from bluelamp.demo.simulator import Settings, Simulator
from bluelamp.demo.summary import summary

DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def duration(text: str) -> dt.timedelta:
    """``2h``, ``90m``, ``1h30m``, ``45s``."""
    found = DURATION.match(text.strip())
    if not text.strip() or not found or not any(found.groups()):
        raise CommandError(f"--duration {text!r} is not a duration: write e.g. 2h, 90m, 1h30m or 45s.")
    hours, minutes, seconds = (int(part or 0) for part in found.groups())
    return dt.timedelta(hours=hours, minutes=minutes, seconds=seconds)


class Command(BaseCommand):
    help = "Simulate calls, online reports, dispatch and moving units through the platform's own services."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
        parser.add_argument(
            "--duration",
            type=duration,
            default=None,
            help="simulated time, e.g. 2h (default: 1h when faster than life, else until Ctrl-C)",
        )
        parser.add_argument(
            "--units",
            type=int,
            default=None,
            help="make sure the Met has this many units (default: the scenario's, if it has none)",
        )
        parser.add_argument("--seed", type=int, default=4711)
        parser.add_argument("--human-share", type=float, default=0.1, help="share of S-grade incidents left for people")

    def handle(
        self,
        *args: Any,
        speed: float,
        duration: dt.timedelta | None,
        units: int | None,
        seed: int,
        human_share: float,
        **options: Any,
    ) -> None:
        if settings.BLUELAMP_ENV == "production":
            raise CommandError("The simulator invents calls and units, so it never runs with BLUELAMP_ENV=production.")
        if speed <= 0:
            raise CommandError("--speed must be more than 0 (1 is real time).")
        if not 0 <= human_share <= 1:
            raise CommandError("--human-share is a share between 0 and 1.")
        if duration is None and speed > 1:
            duration = dt.timedelta(hours=1)
        console = Console()
        demo_setup.load_reference_data()
        if units is None and not Resource.objects.filter(force__code="met").exists():
            units = scenario.spec()["units"]["default_count"]  # an empty platform: nothing to send otherwise
        if units:
            scenario.build(seed=seed, units=units, report=console.print)
        simulator = Simulator(Settings(seed=seed, speed=speed, duration=duration, human_share=human_share))
        with Live(summary(simulator), console=console, refresh_per_second=2) as live:
            simulator.report = lambda sim: live.update(summary(sim))
            try:
                simulator.run()
            except KeyboardInterrupt:
                console.print("Stopped: everything done so far is saved.")
        console.print(summary(simulator))
