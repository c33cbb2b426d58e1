"""Writes for resources: unit types and statuses, units, their crews and statuses (assignments
are in ``assignments``, urgent assistance in ``urgent``). Like every control service: one function
per state change, keyword-only arguments, one transaction, the incident's log entry when an
incident is involved, and an event.

Locks are always taken incident first, then unit, so two dispatchers never deadlock. Units carry
a ``version``: a change made on an old version is refused with a Conflict."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from bluelamp.control import rules
from bluelamp.control.actors import actor_force, actor_label, actor_user, own_force
from bluelamp.control.incidents.log import append_log_entry
from bluelamp.control.incidents.services import lock_incident
from bluelamp.control.models import (
    Assignment,
    BaseType,
    CrewMember,
    Incident,
    IncidentLogEntry,
    Resource,
    UnitStatus,
    UnitStatusChange,
    UnitType,
)
from bluelamp.core.access import Actor, require
from bluelamp.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bluelamp.core.events import emit
from bluelamp.core.models import Bcu, Force, with_related

if TYPE_CHECKING:  # named in annotations only: people are read through business's selectors
    from bluelamp.business.models import Person


DISPATCH = "control.dispatch_resource"
SET_STATUS = "control.set_resource_status"
SET_OWN_STATUS = "control.set_own_resource_status"
Kind = IncidentLogEntry.Kind
State = Assignment.State
# An assignment's state and the base type its unit takes with it.


# Reference data ---------------------------------------------------------------------------


def load_unit_types(*, path: Path = rules.UNIT_TYPES_FILE) -> int:
    """Create or update the unit types in ``unit_types.json``; none is ever deleted."""
    specs = rules.unit_type_specs(path)
    for spec in specs:
        UnitType.objects.update_or_create(
            code=spec["code"],
            defaults={
                "name": spec["name"],
                "min_crew": int(spec.get("min_crew", 1)),
                "every_member_needs": list(spec.get("every_member_needs", [])),
                "one_member_needs": list(spec.get("one_member_needs", [])),
            },
        )
    return len(specs)


@transaction.atomic
def seed_unit_statuses(*, force: Force, path: Path = rules.UNIT_STATUSES_FILE) -> list[UnitStatus]:
    """Give ``force`` the standard statuses. Idempotent: statuses the force already has (by code),
    including ones it changed or added, are left as they are."""
    made = []
    for position, spec in enumerate(rules.unit_status_specs(path), start=1):
        if spec["base_type"] not in BaseType.values:
            raise InvalidInput(f"Status {spec['code']}: {spec['base_type']!r} is not a base type.")
        status, created = UnitStatus.objects.get_or_create(
            force=force,
            code=spec["code"],
            defaults={"label": spec["label"], "base_type": spec["base_type"], "position": position * 10},
        )
        if created:
            made.append(status)
    if made:
        emit("control.unit_statuses.seeded", force=force, codes=[s.code for s in made])
    return made


def system_status(force_id: int, base_type: str) -> UnitStatus:
    """The status the system sets for ``base_type``: the force's first one of that type."""
    status = UnitStatus.objects.filter(force_id=force_id, base_type=base_type).order_by("position", "pk").first()
    if status is None:
        raise InvalidInput(f"Your force has no unit status of base type {BaseType(base_type).label.lower()}.")
    return status


# Units ------------------------------------------------------------------------------------


@transaction.atomic
def create_unit(
    *,
    actor: Actor,
    call_sign: str,
    unit_type: str,
    home_bcu: Bcu | None = None,
    equipment: list[str] | None = None,
) -> Resource:
    """A new unit of the actor's force, off duty until crewed and booked on."""
    require(actor, "control.add_resource")
    force = actor_force(actor)
    call_sign = call_sign.strip().upper()
    if not call_sign:
        raise InvalidInput("A unit needs a call sign.")
    kind = UnitType.objects.filter(code=unit_type).first()
    if kind is None:
        known = ", ".join(UnitType.objects.values_list("code", flat=True))
        raise InvalidInput(f"{unit_type!r} is not a unit type: use one of {known}.")
    if home_bcu is not None and home_bcu.force_id != force.pk:
        raise NotFound("No such BCU in your force.")
    if Resource.objects.filter(force=force, call_sign=call_sign).exists():
        raise Conflict(f"Your force already has a unit {call_sign}.")
    if not UnitStatus.objects.filter(force=force).exists():  # the force's first unit: once, not per unit
        seed_unit_statuses(force=force)
    now = timezone.now()
    status = system_status(force.pk, BaseType.OFF_DUTY)
    unit = Resource.objects.create(
        force=force,
        call_sign=call_sign,
        unit_type=kind,
        home_bcu=home_bcu,
        equipment=[item.strip() for item in equipment or [] if item.strip()],
        status=status,
        status_since=now,
    )
    UnitStatusChange.objects.create(
        unit=unit, from_status=None, to_status=status, at=now, by=actor_user(actor), by_label=actor_label(actor)
    )
    emit("control.unit.created", force=force, unit_id=unit.pk, call_sign=call_sign, unit_type=kind.code)
    return unit


def lock_unit(actor: Actor, unit: Resource, expected_version: int | None = None) -> Resource:
    own_force(actor, unit.force_id)
    locked = with_related(Resource.objects.select_for_update(), "status", "unit_type", "force").get(pk=unit.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(
            f"Someone else changed unit {locked.call_sign} (you had version {expected_version}, it is now "
            f"version {locked.version}): reload it and make your change again."
        )
    return locked


def current_crew(unit: Resource) -> list[CrewMember]:
    return list(unit.crew.filter(until_at__isnull=True).select_related("person").order_by("from_at", "pk"))


@transaction.atomic
def set_crew(*, actor: Actor, unit: Resource, people: Iterable[Person], at: dt.datetime | None = None) -> Resource:
    """Who is on the unit from ``at`` on. People leave the unit they were on (a person is on one
    unit at a time); people not named leave this one."""
    require(actor, "control.change_resource")
    locked = lock_unit(actor, unit)
    at = at or timezone.now()
    wanted = {person.pk: person for person in people}
    for person in wanted.values():
        if person.force_id != locked.force_id or not person.active:
            raise NotFound(f"{person.full_name} is not an active member of your force's workforce.")
    current = {member.person_id: member for member in current_crew(locked)}
    leaving = [member for pk, member in current.items() if pk not in wanted]
    moving = CrewMember.objects.filter(person_id__in=wanted, until_at__isnull=True).exclude(unit=locked)
    for member in [*leaving, *moving]:
        if member.from_at > at:
            raise InvalidInput(f"Person {member.person_id} joined a unit after {at.isoformat()}.")
        member.until_at = at
        member.save(update_fields=["until_at"])
    for pk in wanted.keys() - current.keys():
        CrewMember.objects.create(unit=locked, person_id=pk, from_at=at)
    locked.version += 1
    locked.save(update_fields=["version"])
    emit("control.unit.crew_changed", force=locked.force, unit_id=locked.pk, person_ids=sorted(wanted))
    return locked


def change_status(
    actor: Actor | None, unit: Resource, status: UnitStatus, *, incident: Incident | None = None
) -> UnitStatusChange:
    """Set a locked unit's status and keep the history. The caller holds the unit's lock."""
    now = timezone.now()
    change = UnitStatusChange.objects.create(
        unit=unit,
        from_status=unit.status,
        to_status=status,
        at=now,
        by=actor_user(actor),
        by_label=actor_label(actor),
        incident=incident,
    )
    previous = unit.status
    unit.status, unit.status_since = status, now
    unit.version += 1
    unit.save(update_fields=["status", "status_since", "version"])
    emit(
        "control.unit.status_changed",
        force=unit.force,
        unit_id=unit.pk,
        call_sign=unit.call_sign,
        status=status.code,
        base_type=status.base_type,
        previous=previous.code,
        incident_id=incident.pk if incident else None,
        bcu=unit.home_bcu.code if unit.home_bcu else None,
    )
    return change


def on_crew(actor: Actor, unit: Resource) -> bool:
    user = actor_user(actor)
    if user is None:  # an API client crews no unit
        return False
    return CrewMember.objects.filter(unit=unit, until_at__isnull=True, person__user=user).exists()


def _require_for_unit(actor: Actor, unit: Resource, any_unit: str, own_unit: str) -> None:
    """Control-room staff act on any unit of their force; officers on the unit they crew."""
    if actor.has_perm(any_unit):
        return
    if actor.has_perm(own_unit) and on_crew(actor, unit):
        return
    if actor.has_perm(own_unit):
        raise PermissionDenied(f"You are not on unit {unit.call_sign}'s crew: only its crew or the control room can.")
    require(actor, any_unit)


def open_assignment(unit: Resource) -> Assignment | None:
    return unit.assignments.exclude(state=State.CLEARED).select_related("incident").first()


@transaction.atomic
def set_unit_status(
    *, actor: Actor, unit: Resource, status_code: str, expected_version: int | None = None, position: str = ""
) -> Resource:
    """Book a unit on, off, on a break… A unit committed to an incident keeps its assignment; the
    change is written to that incident's log."""
    own_force(actor, unit.force_id)
    _require_for_unit(actor, unit, SET_STATUS, SET_OWN_STATUS)
    status = UnitStatus.objects.filter(force_id=unit.force_id, code=status_code.strip().upper()).first()
    if status is None:
        known = ", ".join(UnitStatus.objects.filter(force_id=unit.force_id).values_list("code", flat=True))
        raise InvalidInput(f"{status_code!r} is not one of your force's unit statuses: use one of {known}.")
    committed = open_assignment(unit)
    incident = lock_incident(actor, committed.incident, None) if committed else None
    locked = lock_unit(actor, unit, expected_version)
    if locked.status_id == status.pk:
        return locked
    change_status(actor, locked, status, incident=incident)
    if incident is not None:
        append_log_entry(
            incident=incident,
            actor=actor,
            kind=Kind.UPDATED,
            text=f"Unit {locked.call_sign} status {status.code} ({status.label})",
            data={"unit_id": locked.pk, "status": status.code, "base_type": status.base_type},
            position=position,
        )
    return locked
