"""Fixtures for the workforce record: the London forces with their default roles, the skills,
a few Met units, and users holding a role."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from bluelamp.business import services
from bluelamp.business.models import Person, Unit
from bluelamp.core.models import Bcu, Force, Role, User
from bluelamp.core.services import seed_roles

MakeUser = Callable[..., User]


@pytest.fixture
def skills(db: None) -> None:
    """Loaded on demand: tests using transactional_db empty the table the migration filled."""
    services.load_skills()


@pytest.fixture
def met(london: None, skills: None) -> Force:
    force = Force.objects.get(code="met")
    seed_roles(force=force)
    return force


@pytest.fixture
def city(london: None, skills: None) -> Force:
    force = Force.objects.get(code="city")
    seed_roles(force=force)
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
def hr(met: Force, make_user: MakeUser) -> User:
    return make_user("hr.met", met, "hr")


@pytest.fixture
def city_hr(city: Force, make_user: MakeUser) -> User:
    return make_user("hr.city", city, "hr")


@pytest.fixture
def met_units(met: Force, hr: User) -> dict[str, Unit]:
    cw = Bcu.objects.get(force=met, code="CW")
    response = services.save_unit(actor=hr, force=met, code="CW-RESP-A", name="Response team A", kind="team", bcu=cw)
    arv = services.save_unit(actor=hr, force=met, code="ARV", name="Armed response vehicles")
    return {"CW-RESP-A": response, "ARV": arv}


@pytest.fixture
def person(met: Force, hr: User, met_units: dict[str, Unit]) -> Person:
    return services.add_person(
        actor=hr,
        force=met,
        staff_number="100001",
        first_name="Amira",
        last_name="Specimen",
        rank_or_grade="Sergeant",
        warrant_number="210001",
        unit=met_units["CW-RESP-A"],
    )


@pytest.fixture
def hr_client(client: Client, hr: User) -> Client:
    client.force_login(hr)
    return client
