"""The factory: build and test steps recorded per device, the forecast of when each unit has
all its devices against its hard date, and what-if on capacity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from bluelamp.core.errors import InvalidInput
from bluelamp.core.models import Force, User
from bluelamp.mobility import factory, planning, selectors, services
from bluelamp.mobility.factory import QueuedWork
from bluelamp.mobility.lifecycle import MoveNotAllowed
from bluelamp.mobility.models import BuildStep, Device

MONDAY = dt.date(2026, 11, 2)


def test_the_forecast_fills_each_working_day_in_priority_order() -> None:
    queue = [
        QueuedWork("Dogs", priority=3, devices=30),
        QueuedWork("Response", priority=1, devices=25, needed_by=dt.date(2026, 11, 3)),
        QueuedWork("Custody", priority=2, devices=10, needed_by=dt.date(2026, 11, 3)),
    ]
    done = {unit.unit: unit for unit in factory.forecast(queue, capacity_per_day=20, start=MONDAY)}
    # Response: devices 1-25 -> day 2 (Tue); Custody: 26-35 -> day 2 (Tue); Dogs: 36-65 -> day 4 (Thu).
    assert done["Response"].done_on == dt.date(2026, 11, 3)
    assert done["Custody"].done_on == dt.date(2026, 11, 3)
    assert done["Dogs"].done_on == dt.date(2026, 11, 5)
    assert not done["Response"].late


def test_the_factory_does_not_work_weekends_and_says_how_late_a_unit_is() -> None:
    queue = [QueuedWork("Response", priority=1, devices=120, needed_by=dt.date(2026, 11, 6))]
    (unit,) = factory.forecast(queue, capacity_per_day=20, start=MONDAY)
    # 6 working days: Mon-Fri, then Monday 9 November.
    assert unit.done_on == dt.date(2026, 11, 9)
    assert unit.days_late == 3


def test_more_capacity_brings_the_dates_forward() -> None:
    queue = [QueuedWork("Response", priority=1, devices=120)]
    slow = factory.forecast(queue, capacity_per_day=20, start=MONDAY)[0]
    fast = factory.forecast(queue, capacity_per_day=40, start=MONDAY)[0]
    assert (slow.done_on, fast.done_on) == (dt.date(2026, 11, 9), dt.date(2026, 11, 4))


def test_no_capacity_is_refused_with_what_to_do() -> None:
    with pytest.raises(InvalidInput, match="add a build station"):
        factory.forecast([QueuedWork("Response", 1, 5)], capacity_per_day=0, start=MONDAY)


@pytest.mark.django_db
def test_build_and_test_steps_are_recorded_and_a_failed_test_sends_the_device_back(
    make_device: Callable[..., Device], manager: User, met: Force
) -> None:
    device = make_device("in_factory")
    station = planning.save_build_station(actor=manager, force=met, name="Bench 1", capacity_per_day=40)
    services.record_build_step(actor=manager, device=device, station=station, kind="build", passed=True)
    services.record_build_step(
        actor=manager, device=device, station=station, kind="test", passed=False, notes="No GPS fix"
    )
    device.refresh_from_db()
    assert device.state == "in_factory"
    steps = list(BuildStep.objects.filter(device=device).values_list("kind", "passed"))
    assert steps == [("build", True), ("test", False)]
    with pytest.raises(MoveNotAllowed, match="test step needs a device that is built"):
        services.record_build_step(actor=manager, device=device, station=station, kind="test", passed=True)


@pytest.mark.django_db
def test_the_board_forecasts_the_register_and_answers_what_if(
    make_device: Callable[..., Device], manager: User, met: Force, units: dict[str, Any], phone: Any
) -> None:
    planning.save_requirement(
        actor=manager,
        force=met,
        requirement=planning.NewRequirement(
            unit=units["response"],
            role="Police Constable",
            model=phone,
            quantity=3,
            priority=1,
            benefit_per_device=Decimal("60"),
            business_group="Frontline Policing",
            needed_by=MONDAY,
        ),
    )
    for _ in range(3):
        make_device("received")
    planning.save_build_station(actor=manager, force=met, name="Bench 1", capacity_per_day=1)
    board = selectors.factory_board(actor=manager, start=MONDAY)
    assert board.capacity_per_day == 1
    (unit,) = board.forecast
    assert (unit.unit, unit.devices, unit.done_on, unit.days_late) == ("Response team A", 3, dt.date(2026, 11, 4), 2)
    what_if = selectors.factory_board(actor=manager, start=MONDAY, capacity_per_day=3)
    assert what_if.forecast[0].done_on == MONDAY
    assert what_if.late == []


@pytest.mark.django_db
def test_requirements_come_from_the_people_of_each_unit(
    manager: User, met: Force, units: dict[str, Any], phone: Any, officer: Any, hr: User
) -> None:
    from bluelamp.business import services as workforce

    for number, rank in (("100002", "Police Constable"), ("100003", "Sergeant"), ("100004", "Police Staff")):
        workforce.add_person(
            actor=hr,
            force=met,
            staff_number=number,
            first_name="A",
            last_name=number,
            rank_or_grade=rank,
            unit=units["response"],
        )
    kit = {
        "Police Constable": planning.RoleKit(phone, Decimal("80"), 1, "Frontline Policing"),
        "Sergeant": planning.RoleKit(phone, Decimal("60"), 2, "Frontline Policing"),
    }
    saved = planning.plan_requirements_from_workforce(actor=manager, force=met, kit=kit, needed_by=MONDAY)
    # Two constables (the officer and 100002) and one sergeant; staff are not in the kit.
    assert sorted((r.role, r.quantity, r.priority) for r in saved) == [("Police Constable", 2, 1), ("Sergeant", 1, 2)]
