"""Run in a fresh process by test_worker.py: set up a database in $BLUELAMP_HOME with the
London forces taking reports into their control rooms, and make N reports."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bluelamp.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from bluelamp.core.models import Force  # noqa: E402
from bluelamp.core.services import load_geography  # noqa: E402
from bluelamp.online import services  # noqa: E402
from bluelamp.online.catalogue import catalogue  # noqa: E402
from bluelamp.online.demo import seed_demo  # noqa: E402
from bluelamp.online.samples import BANK_STATION, TRAFALGAR_SQUARE  # noqa: E402


def main(count: int) -> None:
    call_command("migrate", verbosity=0)
    load_geography()
    seed_demo()
    met = Force.objects.get(code="met")
    journey = catalogue().journey("lost-found")
    assert journey is not None
    for number in range(count):
        lat, lon = BANK_STATION if number % 3 == 0 else TRAFALGAR_SQUARE
        answers = {
            "lost_or_found": "lost",
            "item": f"Wallet number {number}",
            "item_kind": ["bag"],
            "where": {"address": "Near the station", "lat": lat, "lon": lon},
            "when_date": "2026-11-01",
            "contact": {"name": "Sam Reporter", "email": "sam@example.com", "phone": ""},
        }
        services.submit_report(
            site_force=met, journey=journey, answers=answers, idempotency_key=f"seed-key-{number:04d}-0123456789"
        )
    print(count)


if __name__ == "__main__":
    main(int(sys.argv[1]))
