"""Fixtures for the device register: the Met and the City with their default roles, a device
manager in each, two Met units and an officer from the workforce record, a device model."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from bluelamp.business import services as workforce
from bluelamp.core.models import Force, Role, User
from bluelamp.core.services import seed_roles
from bluelamp.mobility import planning, services
from bluelamp.mobility.models import Device, DeviceModel

MakeUser = Callable[..., User]


@pytest.fixture
def met(london: None) -> Force:
    force = Force.objects.get(code="met")
    seed_roles(force=force)
    return force


@pytest.fixture
def city(london: None) -> Force:
    force = Force.objects.get(code="city")
    seed_roles(force=force)
    return force


@pytest.fixture
def make_user(db: None) -> MakeUser:
    def make(username: str, force: Force | None, *roles: str, email: str = "") -> User:
        user = User.objects.create_user(username=username, password="a-long-test-password", force=force, email=email)
        for code in roles:
            Role.objects.get(force=force, code=code).members.add(user)
        return User.objects.get(pk=user.pk)  # fresh: no stale permission cache

    return make


@pytest.fixture
def manager(met: Force, make_user: MakeUser) -> User:
    return make_user("devices.met", met, "device_manager")


@pytest.fixture
def hr(met: Force, make_user: MakeUser) -> User:
    return make_user("hr.met", met, "hr")


@pytest.fixture
def units(met: Force, hr: User) -> dict[str, Any]:
    return {
        "response": workforce.save_unit(actor=hr, force=met, code="CW-RESP-A", name="Response team A", kind="team"),
        "arv": workforce.save_unit(actor=hr, force=met, code="ARV", name="Armed response vehicles"),
    }


@pytest.fixture
def officer(met: Force, hr: User, units: dict[str, Any], make_user: MakeUser) -> Any:
    account = make_user("amira.specimen", met, "response_officer", email="Amira.Specimen@met.example")
    return workforce.add_person(
        actor=hr,
        force=met,
        staff_number="100001",
        first_name="Amira",
        last_name="Specimen",
        rank_or_grade="Police Constable",
        unit=units["response"],
        user=account,
    )


@pytest.fixture
def phone(met: Force, manager: User) -> DeviceModel:
    return services.add_device_model(
        actor=manager,
        force=met,
        name="Rugged phone",
        kind="phone",
        capital_cost=Decimal("420"),
        running_cost=Decimal("360"),
    )


@pytest.fixture
def make_device(met: Force, manager: User, phone: DeviceModel, units: dict[str, Any]) -> Callable[..., Device]:
    made = iter(range(1, 10_000))

    def make(state: str = "ordered", **fields: Any) -> Device:
        number = next(made)
        new = services.NewDevice(
            model=phone,
            serial_number=f"SN{number:06d}",
            imei=f"35000000000{number:04d}",
            cost_unit_id=units["response"].pk,
            **fields,
        )
        device = services.order_device(actor=manager, force=met, new=new)
        return walk_to(device, state, manager)

    return make


ROUTE = ["ordered", "received", "in_factory", "built", "tested", "ready"]


def walk_to(device: Device, state: str, manager: User) -> Device:
    """Take a new device through the factory, by the services, up to ``state`` (at most ready)."""
    station = planning.save_build_station(actor=manager, force=device.force, name="Bench 1", capacity_per_day=40)
    steps = {
        "received": lambda: services.receive_device(actor=manager, device=device),
        "in_factory": lambda: services.send_to_factory(actor=manager, device=device),
        "built": lambda: services.record_build_step(
            actor=manager, device=device, station=station, kind="build", passed=True
        ),
        "tested": lambda: services.record_build_step(
            actor=manager, device=device, station=station, kind="test", passed=True
        ),
        "ready": lambda: services.mark_ready(actor=manager, device=device),
    }
    for next_state in ROUTE[1 : ROUTE.index(state) + 1]:
        steps[next_state]()
    device.refresh_from_db()
    return device
