"""The simulation beside the demo's web server: a thread in the same process, so that every
change it makes reaches the open control-room screens at once."""

from __future__ import annotations

import logging
import threading
import time

from django.db import connections

from bluelamp.demo.simulator import Settings, Simulator
from bluelamp.demo.summary import one_line

logger = logging.getLogger(__name__)
REPORT_EVERY_SECONDS = 60.0


def simulate_in_background(settings: Settings, *, stop: threading.Event | None = None) -> threading.Thread:
    """Start the simulation; it runs until ``stop`` is set or the process ends."""
    stop = stop or threading.Event()
    last: list[float] = [0.0]

    def report(sim: Simulator) -> None:
        if time.monotonic() - last[0] >= REPORT_EVERY_SECONDS:
            last[0] = time.monotonic()
            print(one_line(sim), flush=True)

    def run() -> None:
        try:
            Simulator(settings, report=report).run(should_stop=stop.is_set)
        except Exception:  # the demo's web server carries on; the traceback goes to the log
            logger.exception("the simulation stopped")
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name="simulation", daemon=True)
    thread.start()
    return thread
