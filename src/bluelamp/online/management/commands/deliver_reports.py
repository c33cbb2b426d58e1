"""bluelamp deliver-reports: take online reports to each force's destination, and bring the
control room's status changes back to 'track my report'."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bluelamp.online import delivery


class Command(BaseCommand):
    help = "Deliver online reports to forces (control room, email, HTTPS) and update their status."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Deliver what is due, once, then stop.")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between rounds (loop mode).")
        parser.add_argument("--limit", type=int, default=100, help="Most deliveries per round.")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            done = delivery.run_once(limit=options["limit"])
            if options["once"] or done.delivered or done.failed or done.statuses:
                self.stdout.write(
                    f"delivered {done.delivered}, failed {done.failed}, control events read {done.statuses}"
                )
            if options["once"]:
                return
            if done.delivered < options["limit"]:
                time.sleep(options["interval"])
