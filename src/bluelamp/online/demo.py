"""Demo set-up for the Single Online Home: the Met and City of London Police take online
reports into their own control rooms. Call ``seed_demo()`` after the geography is loaded."""

from __future__ import annotations

from bluelamp.core.models import Force
from bluelamp.online.models import Destination

DEMO_CONTROL_FORCES = ("met", "city")


def seed_demo(force_codes: tuple[str, ...] = DEMO_CONTROL_FORCES) -> list[Destination]:
    """Give each named force (that exists) a ``control`` destination; re-running changes nothing."""
    made = []
    for force in Force.objects.filter(code__in=force_codes):
        destination, _ = Destination.objects.get_or_create(
            force=force, defaults={"kind": Destination.Kind.CONTROL, "enabled": True}
        )
        made.append(destination)
    return made
