"""The example workforce (fictional people of the Met) for the demo and the docs. Loaded through
the services, as an HR user, so it is audited like any real import."""

from __future__ import annotations

import json

from bluelamp.business import services
from bluelamp.business.models import Unit
from bluelamp.core.errors import InvalidInput
from bluelamp.core.models import Bcu, User

EXAMPLE_UNITS = services.DATA_DIR / "example-units.json"
EXAMPLE_WORKFORCE = services.DATA_DIR / "example-workforce.csv"


def load_example_units(*, actor: User) -> list[Unit]:
    spec = json.loads(EXAMPLE_UNITS.read_text(encoding="utf-8"))
    force = actor.force
    if force is None or force.code != spec["force"]:
        raise InvalidInput(f"The example units belong to the force {spec['force']!r}: sign in as one of its HR staff.")
    saved: dict[str, Unit] = {}
    for unit in spec["units"]:
        saved[unit["code"]] = services.save_unit(
            actor=actor,
            force=force,
            code=unit["code"],
            name=unit["name"],
            kind=unit["kind"],
            parent=saved.get(unit.get("parent", "")),
            bcu=Bcu.objects.get(force=force, code=unit["bcu"]) if unit.get("bcu") else None,
        )
    return list(saved.values())


def load_example_workforce(*, actor: User) -> services.ImportResult:
    """The example units, then the example CSV, into the actor's force (the Met)."""
    load_example_units(actor=actor)
    assert actor.force is not None  # checked by load_example_units
    with EXAMPLE_WORKFORCE.open("rb") as file:
        return services.import_workforce_csv(
            actor=actor, force=actor.force, file=file, file_name=EXAMPLE_WORKFORCE.name
        )
