"""A few weeks of the Met's past for the history panels: incidents from the force's previous
control-room system at real places of crime, some with the people and vehicles involved, and
warning markers on some places, people and vehicles. Recorded through POLE's own services, as an
import from the old system would be (source system ``legacy-cad``), so every person is collected
with an audit entry like any other."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from bluelamp.core.models import Force, User
from bluelamp.demo import scenario
from bluelamp.pole import catalogue, services
from bluelamp.pole.models import Event

SOURCE_SYSTEM = "legacy-cad"
LOCATION_MARKERS = ["weapons", "violence", "dogs", "officer_safety", "drugs"]
PERSON_MARKERS = ["violence", "weapons", "mental_health", "vulnerable_person", "self_harm", "escaper"]
VEHICLE_MARKERS = ["firearms", "drugs", "weapons"]


def seed_history(*, seed: int, events: int = 600, weeks: int = 4) -> int:
    """Record ``events`` past incidents (once: a second run adds nothing); returns how many."""
    met = Force.objects.get(code="met")
    if Event.objects.filter(force=met, source_system=SOURCE_SYSTEM).exists():
        return 0
    rng = random.Random(seed)  # noqa: S311 - a demo seeded for repeatability, not a secret
    actor = scenario.bot("sim-supervisor")
    points = scenario.crime_points()
    now = timezone.now()
    with transaction.atomic():
        for number in range(events):
            point = rng.choice(points)
            occurred = now - dt.timedelta(seconds=rng.uniform(3600, weeks * 7 * 86400))
            location = services.find_or_create_location(
                actor=actor, force=met, address=point.location.replace("On or near ", ""), lat=point.lat, lon=point.lon
            )
            event = services.record_event(
                actor=actor,
                force=met,
                kind=catalogue.INCIDENT,
                source_system=SOURCE_SYSTEM,
                source_id=f"{seed}-{number}",
                occurred_at=occurred,
                title=f"{point.crime_type} (previous system)",
                status="Closed",
                location=location,
                open=False,
            )
            services.link(actor=actor, event=event, role="scene", location=location)
            roll = rng.random()
            if roll < 0.04 and not location.markers.exists():
                marker = rng.choice(LOCATION_MARKERS)
                services.add_marker(actor=actor, location=location, marker_type=marker, detail="Past incidents here.")
            if roll < 0.12:
                _person_involved(rng, actor, met, event)
            elif roll < 0.18:
                _vehicle_used(rng, actor, met, event)
    return events


def _person_involved(rng: random.Random, actor: User, force: Force, event: Event) -> None:
    names = scenario.spec()["people"]
    person = services.find_or_create_person(
        actor=actor,
        force=force,
        surname=rng.choice(names["last_names"]),
        forenames=rng.choice(names["first_names"]),
        date_of_birth=dt.date(rng.randint(1960, 2005), rng.randint(1, 12), rng.randint(1, 28)),
    )
    services.link(actor=actor, event=event, role=rng.choice(["suspect", "subject", "victim"]), person=person)
    if rng.random() < 0.3:
        services.add_marker(actor=actor, person=person, marker_type=rng.choice(PERSON_MARKERS))


def _vehicle_used(rng: random.Random, actor: User, force: Force, event: Event) -> None:
    plate = scenario.random_plate(rng)
    vehicle = services.find_or_create_vehicle(actor=actor, force=force, plate=plate, make="Ford", model="Focus")
    services.link(actor=actor, event=event, role="used", object=vehicle)
    if rng.random() < 0.4:
        services.add_marker(actor=actor, object=vehicle, marker_type=rng.choice(VEHICLE_MARKERS))
