"""Writes that set up the roll-out: the factory's build stations, each unit's requirement (by
hand or from the workforce record), the funding streams, and the benefits' measures. Each is
one function with keyword-only arguments, checked for permission and force, in one
transaction, with its event; none holds personal data, so none writes an audit entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from bluelamp.business import selectors as workforce
from bluelamp.core.access import Actor, require
from bluelamp.core.errors import InvalidInput
from bluelamp.core.events import emit
from bluelamp.core.models import Force
from bluelamp.mobility import selectors
from bluelamp.mobility.models import Benefit, BuildStation, DeviceModel, FundingStream, Requirement
from bluelamp.mobility.services import PLAN, RUN_FACTORY, own_force

# Factory stations, requirements and funding -----------------------------------------------------


@transaction.atomic
def save_build_station(
    *, actor: Actor, force: Force, name: str, capacity_per_day: int, active: bool = True
) -> BuildStation:
    require(actor, RUN_FACTORY)
    own_force(actor, force.pk)
    if capacity_per_day < 0:
        raise InvalidInput("A station's capacity is the devices it builds and tests a working day: 0 or more.")
    station, _ = BuildStation.objects.update_or_create(
        force=force, name=name.strip(), defaults={"capacity_per_day": capacity_per_day, "active": active}
    )
    emit("mobility.build_station.saved", force=force, station_id=station.pk, capacity_per_day=capacity_per_day)
    return station


@dataclass(frozen=True)
class NewRequirement:
    unit: Any  # a business Unit, from business.selectors
    role: str
    model: DeviceModel
    quantity: int
    priority: int
    benefit_per_device: Decimal
    business_group: str
    needed_by: dt.date | None = None


@transaction.atomic
def save_requirement(*, actor: Actor, force: Force, requirement: NewRequirement) -> Requirement:
    """Set a unit's need for one device model in one role (replacing what was there)."""
    require(actor, PLAN)
    own_force(actor, force.pk)
    r = requirement
    if r.unit.force_id != force.pk or r.model.force_id != force.pk:
        raise InvalidInput("The unit and the device model must both be your force's.")
    if not 1 <= r.priority <= 5:
        raise InvalidInput("Priority runs from 1 (most urgent) to 5.")
    if r.quantity < 0 or r.benefit_per_device < 0:
        raise InvalidInput("The quantity and the benefit per device cannot be negative.")
    saved, _ = Requirement.objects.update_or_create(
        unit=r.unit,
        role=r.role.strip(),
        model=r.model,
        defaults={
            "force": force,
            "quantity": r.quantity,
            "priority": r.priority,
            "benefit_per_device": r.benefit_per_device,
            "business_group": r.business_group.strip(),
            "needed_by": r.needed_by,
        },
    )
    emit("mobility.requirement.saved", force=force, requirement_id=saved.pk, unit_id=r.unit.pk, quantity=r.quantity)
    return saved


@dataclass(frozen=True)
class RoleKit:
    """The device a rank or grade gets, what one is worth to it, its priority and its group."""

    model: DeviceModel
    benefit_per_device: Decimal
    priority: int
    business_group: str


@transaction.atomic
def plan_requirements_from_workforce(
    *, actor: Actor, force: Force, kit: dict[str, RoleKit], needed_by: dt.date | None = None
) -> list[Requirement]:
    """Each unit's requirement from its people in the workforce record: so many devices of the
    kit's model for each rank or grade the kit names (the others need none)."""
    require(actor, PLAN)
    own_force(actor, force.pk)
    units = {unit.pk: unit for unit in workforce.units(actor=actor, permission=PLAN)}
    saved = []
    for unit_id, ranks in selectors.requirement_by_role(actor=actor).items():
        for rank, people in sorted(ranks.items()):
            if rank in kit and unit_id in units:
                role = kit[rank]
                need = NewRequirement(
                    units[unit_id],
                    rank,
                    role.model,
                    people,
                    role.priority,
                    role.benefit_per_device,
                    role.business_group,
                    needed_by,
                )
                saved.append(save_requirement(actor=actor, force=force, requirement=need))
    return saved


@transaction.atomic
def save_funding_stream(
    *, actor: Actor, force: Force, name: str, kind: str, amount: Decimal, units: Sequence[Any] = ()
) -> FundingStream:
    """A funding stream and the units it may pay for (none: any unit)."""
    require(actor, PLAN)
    own_force(actor, force.pk)
    if kind not in FundingStream.Kind.values:
        raise InvalidInput("A funding stream is capital (buying devices) or revenue (running them).")
    if amount < 0:
        raise InvalidInput("A funding stream's amount cannot be negative.")
    if any(unit.force_id != force.pk for unit in units):
        raise InvalidInput("A stream may only pay for your force's units.")
    stream, _ = FundingStream.objects.update_or_create(
        force=force, name=name.strip(), defaults={"kind": kind, "amount": amount}
    )
    stream.units.set(units)
    emit("mobility.funding_stream.saved", force=force, stream_id=stream.pk, amount=str(amount), kind=kind)
    return stream


# Benefits ------------------------------------------------------------------------------------


@transaction.atomic
def record_benefit_measure(*, actor: Actor, benefit: Benefit, actual: Decimal, measured_on: dt.date) -> Benefit:
    """Record what a benefit measured at ``measured_on``."""
    require(actor, "mobility.change_benefit")
    own_force(actor, benefit.force_id)
    benefit.actual, benefit.measured_on = actual, measured_on
    benefit.save()
    emit("mobility.benefit.measured", force=benefit.force, benefit_id=benefit.pk, actual=str(actual))
    return benefit
