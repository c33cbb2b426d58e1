"""Fixtures for Command and Control: the London forces with their default roles, given the
control permissions each role should hold (until roles.json grants them), users, a clock that
stands still, and helpers to take a contact and make an incident."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from bluelamp.control.contacts import services as contact_services
from bluelamp.control.models import Contact, Incident
from bluelamp.control.units import services as unit_services
from bluelamp.core.models import Force, Role, User
from bluelamp.core.services import seed_roles

LONDON = ZoneInfo("Europe/London")
TRAFALGAR_SQUARE = (51.50800, -0.12810)  # Westminster: Met, BCU Central West
NEAR_TRAFALGAR = (51.50890, -0.12810)  # about 100 m north
ST_PAULS = (51.51380, -0.09840)  # City of London Police

# What each role should be allowed in Command and Control: proposed for roles.json.
CONTROL_PERMISSIONS: dict[str, list[str]] = {
    "call_handler": ["view_contact", "add_contact", "change_contact", "view_incident", "add_incident",
                     "change_incident", "grade_incident"],
    "dispatcher": ["view_contact", "view_incident", "change_incident", "close_incident"],
    "control_supervisor": ["view_contact", "add_contact", "change_contact", "view_incident", "add_incident",
                           "change_incident", "grade_incident", "close_incident"],
    "response_officer": ["view_incident"],
}  # fmt: skip

# Resources (units): proposed for roles.json as well.
RESOURCE_PERMISSIONS: dict[str, list[str]] = {
    "call_handler": ["view_resource"],
    "dispatcher": ["view_resource", "dispatch_resource", "set_resource_status", "raise_urgent_assistance",
                   "acknowledge_urgent_assistance"],
    "control_supervisor": ["view_resource", "add_resource", "change_resource", "dispatch_resource",
                           "set_resource_status", "raise_urgent_assistance", "acknowledge_urgent_assistance"],
    "response_officer": ["view_resource", "set_own_resource_status", "raise_urgent_assistance"],
    "analyst": ["view_incident"],
}  # fmt: skip

MakeUser = Callable[..., User]


def give_control_permissions(force: Force) -> None:
    for permissions in (CONTROL_PERMISSIONS, RESOURCE_PERMISSIONS):
        for code, codenames in permissions.items():
            role = Role.objects.get(force=force, code=code)
            role.permissions.add(*Permission.objects.filter(content_type__app_label="control", codename__in=codenames))


@pytest.fixture
def met(london: None) -> Force:
    force = Force.objects.get(code="met")
    seed_roles(force=force)
    give_control_permissions(force)
    return force


@pytest.fixture
def city(london: None) -> Force:
    force = Force.objects.get(code="city")
    seed_roles(force=force)
    give_control_permissions(force)
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
def dispatcher(met: Force, make_user: MakeUser) -> User:
    return make_user("disp.met", met, "dispatcher")


@pytest.fixture
def city_handler(city: Force, make_user: MakeUser) -> User:
    return make_user("ch.city", city, "call_handler", "dispatcher")


@pytest.fixture
def handler_client(client: Client, handler: User) -> Client:
    client.force_login(handler)
    return client


@contextmanager
def clock(at: dt.datetime) -> Iterator[None]:
    """Stop the clock at ``at`` for everything that asks django.utils.timezone.now."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


def london_time(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


def take_call(actor: User, *, where: tuple[float, float] = TRAFALGAR_SQUARE, **fields: Any) -> Contact:
    values: dict[str, Any] = {
        "channel": "999",
        "caller_name": "Sam Caller",
        "caller_phone": "07700 900123",
        "address": "Trafalgar Square",
        "lat": where[0],
        "lon": where[1],
        "description": "Two men fighting, one has a bottle",
        "category": "crime.violence",
        "qualifiers": ["alcohol"],
    }
    return contact_services.receive_contact(actor=actor, contact=contact_services.NewContact(**values | fields)).contact


def new_incident(actor: User, **fields: Any) -> Incident:
    return contact_services.create_incident_from_contact(actor=actor, contact=take_call(actor, **fields))


HIGH_THREAT = {"threat": "high", "harm": "medium", "risk": "medium", "investigation": "low",
               "vulnerability": "low", "engagement": "medium"}  # fmt: skip
ALL_LOW = dict.fromkeys(HIGH_THREAT, "low")


# Resources --------------------------------------------------------------------------------


@pytest.fixture
def unit_reference_data(db: None) -> None:
    """Skills and unit types, loaded on demand: transactional tests empty what migrations filled."""
    from bluelamp.business.services import load_skills
    from bluelamp.control.units.services import load_unit_types

    load_skills()
    load_unit_types()


@pytest.fixture
def supervisor(met: Force, make_user: MakeUser) -> User:
    return make_user("sup.met", met, "control_supervisor")


def officer(
    force: Force,
    last_name: str,
    *,
    skills: dict[str, tuple[dt.date, dt.date | None]] | None = None,
    rank: str = "PC",
    user: User | None = None,
) -> Any:
    """A person of the workforce record with authorisations (test setup only: the real record
    comes from the HR import)."""
    from bluelamp.business.models import Authorisation, Person, Skill

    number = Person.objects.count() + 1
    person = Person.objects.create(
        force=force, staff_number=f"S{number:05d}", first_name="Alex", last_name=last_name, rank_or_grade=rank,
        user=user,
    )  # fmt: skip
    for code, (valid_from, valid_until) in (skills or {}).items():
        Authorisation.objects.create(
            person=person, skill=Skill.objects.get(code=code), valid_from=valid_from, valid_until=valid_until
        )
    return person


def make_unit(actor: User, call_sign: str, unit_type: str, *crew: Any, bcu: str = "CW", status: str = "AVL") -> Any:
    """A unit of the actor's force, crewed and (by default) available."""
    from bluelamp.core.models import Bcu

    home = Bcu.objects.get(force_id=actor.force_id, code=bcu) if bcu else None
    unit = unit_services.create_unit(actor=actor, call_sign=call_sign, unit_type=unit_type, home_bcu=home)
    if crew:
        unit = unit_services.set_crew(actor=actor, unit=unit, people=crew)
    if status != "OFF":
        unit = unit_services.set_unit_status(actor=actor, unit=unit, status_code=status)
    return unit
