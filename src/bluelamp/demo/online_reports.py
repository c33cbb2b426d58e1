"""Members of the public reporting online, for the simulator: each report is made by walking the
real journey pages of the force's public site (the same views, forms and checks a person's browser
meets), delivered to the control room by the delivery worker, and then handled there by the
simulated call handler like any other contact."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.test import Client

from bluelamp.control.models import Contact
from bluelamp.online import delivery
from bluelamp.online.catalogue import catalogue
from bluelamp.online.samples import walk_journey

if TYPE_CHECKING:
    from bluelamp.demo.simulator import Simulator

# The journeys people use, in proportion (lost property and ASB are the most common online).
JOURNEYS = {"crime": 4, "asb": 3, "road-traffic": 1, "lost-found": 2}
ONLINE_ITEM = {"incident_share": 0.25, "on_scene_minutes": [20, 45]}


def submit(sim: Simulator) -> bool:
    """One online report from a member of the public, delivered and picked up by a call handler."""
    available = {slug: weight for slug, weight in JOURNEYS.items() if catalogue().journey(slug) is not None}
    if not available:
        return False
    slug = sim.rng.choices(list(available), weights=list(available.values()))[0]
    point = sim.rng.choice(sim.crime_points_list)
    client = Client(REMOTE_ADDR=f"10.77.{sim.rng.randint(0, 255)}.{sim.rng.randint(1, 254)}")
    reference = walk_journey(client, "/sites/met/report/", slug, place=(point.lat, point.lon))
    delivery.run_once()
    contact = Contact.objects.filter(channel=Contact.Channel.ONLINE, source_reference=reference).first()
    if contact is None:  # not delivered yet (e.g. a destination is failing): the worker retries
        return True
    item = {**ONLINE_ITEM, "category": contact.category}
    grade = "S" if sim.rng.random() < 0.3 else "E"
    handle_after = dt.timedelta(minutes=sim.rng.uniform(5, 40))  # online reports wait their turn
    sim.later(handle_after, lambda: sim.decide(contact, item, grade))
    return True
