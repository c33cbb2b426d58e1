"""Fixtures for the POLE store: the London forces with their default roles, POLE permissions
added to the call handler role (roles.json does not grant them yet), users, and a place in
Westminster with points at known distances from it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from pyproj import Geod

from bluelamp.core.models import Force, Role, User
from bluelamp.core.services import seed_roles
from bluelamp.pole import services
from bluelamp.pole.models import Event, Location, Object, Person, WarningMarker

MakeUser = Callable[..., User]
# Near Westminster Abbey (Westminster borough, Central West BCU).
HERE = (51.4994, -0.1273)
AT = dt.datetime(2026, 7, 14, 12, 0, tzinfo=dt.UTC)
CALL_HANDLER_PERMISSIONS = (
    "view_history",
    "consult_person",
    "add_event",
    "change_event",
    "add_location",
    "add_person",
    "add_object",
    "add_link",
    "add_warningmarker",
    "change_warningmarker",
)
_geod = Geod(ellps="WGS84")


def offset(metres: float, bearing: float = 90.0, origin: tuple[float, float] = HERE) -> tuple[float, float]:
    """The point ``metres`` from ``origin`` on the ellipsoid, heading ``bearing`` degrees."""
    lon, lat, _ = _geod.fwd(origin[1], origin[0], bearing, metres)
    return lat, lon


def grant_pole(force: Force, role_code: str, *codenames: str) -> None:
    role = Role.objects.get(force=force, code=role_code)
    role.permissions.add(*Permission.objects.filter(content_type__app_label="pole", codename__in=codenames))


@pytest.fixture
def met(london: None) -> Force:
    force = Force.objects.get(code="met")
    seed_roles(force=force)
    grant_pole(force, "call_handler", *CALL_HANDLER_PERMISSIONS)
    return force


@pytest.fixture
def city(london: None) -> Force:
    force = Force.objects.get(code="city")
    seed_roles(force=force)
    grant_pole(force, "call_handler", *CALL_HANDLER_PERMISSIONS)
    return force


@pytest.fixture
def make_user(db: None) -> MakeUser:
    def make(username: str, force: Force | None, *roles: str) -> User:
        user = User.objects.create_user(username=username, password="a-long-test-password", force=force)
        for code in roles:
            Role.objects.get(force=force, code=code).members.add(user)
        return User.objects.get(pk=user.pk)  # fresh: no stale permission cache

    return make


@pytest.fixture
def handler(met: Force, make_user: MakeUser) -> User:
    return make_user("ch.met", met, "call_handler")


@pytest.fixture
def city_handler(city: Force, make_user: MakeUser) -> User:
    return make_user("ch.city", city, "call_handler")


@pytest.fixture
def analyst(met: Force, make_user: MakeUser) -> User:
    grant_pole(met, "analyst", "view_event")
    return make_user("analyst.met", met, "analyst")


@pytest.fixture
def handler_client(client: Client, handler: User) -> Client:
    client.force_login(handler)
    return client


def backdate(marker: WarningMarker, added_at: dt.datetime, ended_at: dt.datetime | None = None) -> None:
    """Markers are added 'now'; the history is asked about a fixed time, so move them there."""
    WarningMarker.objects.filter(pk=marker.pk).update(added_at=added_at, ended_at=ended_at)


def place(actor: User, force: Force, metres: float, name: str) -> Location:
    lat, lon = offset(metres)
    return services.find_or_create_location(actor=actor, force=force, address=name, lat=lat, lon=lon)


def incident_at(actor: User, force: Force, where: Location | None, ago: dt.timedelta, ref: str, **more: Any) -> Event:
    values: dict[str, Any] = {"kind": "incident", "title": f"Incident {ref}", "status": "closed", "open": False, **more}
    return services.record_event(
        actor=actor, force=force, source_system="control", source_id=ref, occurred_at=AT - ago, location=where, **values
    )


@dataclass
class Scene:
    person: Person
    incident: Event
    car: Object


@pytest.fixture
def scene(handler: User, met: Force) -> Scene:
    """An incident 40 m from HERE 11 months before AT with a caller who has a violence marker
    (review March 2027) and a car with a weapons marker."""
    where = place(handler, met, 40, "5 Dean's Yard, London SW1P 3PA")
    event = incident_at(handler, met, where, dt.timedelta(days=330), "CAD 101/14AUG25")
    person = services.find_or_create_person(
        actor=handler, force=met, surname="Specimen", forenames="Jo", date_of_birth=dt.date(1990, 1, 2)
    )
    services.link(actor=handler, event=event, person=person, role="caller")
    marker = services.add_marker(actor=handler, person=person, marker_type="violence", review_on=dt.date(2027, 3, 1))
    backdate(marker, AT - dt.timedelta(days=400))
    car = services.find_or_create_vehicle(actor=handler, force=met, plate="AB12 CDE", make="Ford", colour="Blue")
    services.link(actor=handler, event=event, object=car, role="used")
    weapon = services.add_marker(actor=handler, object=car, marker_type="weapons", detail="Machete seen in boot")
    backdate(weapon, AT - dt.timedelta(days=30))
    return Scene(person=person, incident=event, car=car)
