"""Demo figures for the platform charges (data/example-charging.json): 20 forces, their figures
and the platform's cost. Forces not yet in the platform are added by code and name only."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from bluelamp.business import services
from bluelamp.business.models import PlatformMembership
from bluelamp.core import services as core_services
from bluelamp.core.access import Actor

EXAMPLE_CHARGING = Path(__file__).resolve().parent / "data" / "example-charging.json"


@transaction.atomic
def load_example_charging(*, actor: Actor, path: Path = EXAMPLE_CHARGING) -> int:
    """Record the example forces, figures (for every costed year), memberships and costs.
    Idempotent. Returns how many forces are in the example."""
    data = json.loads(path.read_text(encoding="utf-8"))
    years = sorted(int(year) for year in data["costs"])
    for entry in data["forces"]:
        force = core_services.add_force(code=entry["code"], name=entry["name"])
        for year in years:
            services.record_force_metrics(
                actor=actor,
                force=force,
                financial_year=year,
                officers=entry["officers"],
                population=entry["population"],
            )
        if not PlatformMembership.objects.filter(force=force).exists():
            services.join_platform(actor=actor, force=force, joined_on=dt.date.fromisoformat(entry["joined_on"]))
    for year, amount in data["costs"].items():
        services.record_platform_cost(actor=actor, financial_year=int(year), amount=Decimal(amount))
    return len(data["forces"])
