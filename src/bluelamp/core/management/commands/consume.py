"""`bluelamp consume`: run the consumers of the outbox in a process of their own."""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bluelamp.core import consumers


class Command(BaseCommand):
    help = (
        "Run the outbox's consumers (live screens, POLE feed, dispatch, online report status) until stopped; "
        "set BLUELAMP_CONSUMERS=off in the web workers when this runs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="handle what is waiting, then stop")
        parser.add_argument("--list", action="store_true", help="list the consumers and how far behind they are")
        parser.add_argument("--poll", type=float, default=consumers.POLL_SECONDS, help="seconds between looks")

    def handle(self, *args: Any, once: bool, list: bool, poll: float, **options: Any) -> None:
        if list:
            for lag in consumers.lags():
                error = f", failing: {lag.last_error}" if lag.failing_event_id else ""
                self.stdout.write(f"{lag.name}: {lag.behind} events behind{error}")
            return
        if once:
            self.stdout.write(f"{consumers.run_until_idle()} events handled.")
            return
        worker = consumers.Worker(poll=poll)
        signal.signal(signal.SIGTERM, lambda *_: worker.stop())
        self.stdout.write(f"Consuming the outbox every {poll} s (Ctrl-C to stop).")
        try:
            worker.loop()
        except KeyboardInterrupt:
            worker.stop()
