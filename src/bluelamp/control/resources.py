"""Writes for resources: units, their crews and statuses, assignments to incidents and urgent
assistance. Like ``services.py``: one function per state change, keyword-only arguments, one
transaction, the incident's log entry when an incident is involved, and an event.

Locks are always taken incident first, then unit, so two dispatchers never deadlock. Units carry
a ``version``: a change made on an old version is refused with a Conflict."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from bluelamp.business import selectors as workforce
from bluelamp.control import rules
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
    UrgentAssistance,
)
from bluelamp.control.services import (
    _actor_force,
    _actor_label,
    _actor_user,
    _lock_incident,
    _own_force,
    append_log_entry,
    transition_incident,
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
RAISE_URGENT = "control.raise_urgent_assistance"
ACKNOWLEDGE_URGENT = "control.acknowledge_urgent_assistance"
Kind = IncidentLogEntry.Kind
State = Assignment.State
# An assignment's state and the base type its unit takes with it.
STATE_BASE_TYPES = {
    State.ASSIGNED: BaseType.ASSIGNED,
    State.EN_ROUTE: BaseType.EN_ROUTE,
    State.AT_SCENE: BaseType.AT_SCENE,
    State.CLEARED: BaseType.AVAILABLE,
}
NEXT_STATES = {
    State.ASSIGNED: {State.EN_ROUTE, State.AT_SCENE, State.CLEARED},
    State.EN_ROUTE: {State.AT_SCENE, State.CLEARED},
    State.AT_SCENE: {State.CLEARED},
    State.CLEARED: set(),
}
CANNOT_GO = {BaseType.OFF_DUTY, BaseType.UNAVAILABLE}


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


def _system_status(force_id: int, base_type: str) -> UnitStatus:
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
    force = _actor_force(actor)
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
    status = _system_status(force.pk, BaseType.OFF_DUTY)
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
        unit=unit, from_status=None, to_status=status, at=now, by=_actor_user(actor), by_label=_actor_label(actor)
    )
    emit("control.unit.created", force=force, unit_id=unit.pk, call_sign=call_sign, unit_type=kind.code)
    return unit


def _lock_unit(actor: Actor, unit: Resource, expected_version: int | None = None) -> Resource:
    _own_force(actor, unit.force_id)
    locked = with_related(Resource.objects.select_for_update(), "status", "unit_type", "force").get(pk=unit.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(
            f"Someone else changed unit {locked.call_sign} (you had version {expected_version}, it is now "
            f"version {locked.version}): reload it and make your change again."
        )
    return locked


def _current_crew(unit: Resource) -> list[CrewMember]:
    return list(unit.crew.filter(until_at__isnull=True).select_related("person").order_by("from_at", "pk"))


@transaction.atomic
def set_crew(*, actor: Actor, unit: Resource, people: Iterable[Person], at: dt.datetime | None = None) -> Resource:
    """Who is on the unit from ``at`` on. People leave the unit they were on (a person is on one
    unit at a time); people not named leave this one."""
    require(actor, "control.change_resource")
    locked = _lock_unit(actor, unit)
    at = at or timezone.now()
    wanted = {person.pk: person for person in people}
    for person in wanted.values():
        if person.force_id != locked.force_id or not person.active:
            raise NotFound(f"{person.full_name} is not an active member of your force's workforce.")
    current = {member.person_id: member for member in _current_crew(locked)}
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


def _change_status(
    actor: Actor | None, unit: Resource, status: UnitStatus, *, incident: Incident | None = None
) -> UnitStatusChange:
    """Set a locked unit's status and keep the history. The caller holds the unit's lock."""
    now = timezone.now()
    change = UnitStatusChange.objects.create(
        unit=unit,
        from_status=unit.status,
        to_status=status,
        at=now,
        by=_actor_user(actor),
        by_label=_actor_label(actor),
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


def _on_crew(actor: Actor, unit: Resource) -> bool:
    user = _actor_user(actor)
    if user is None:  # an API client crews no unit
        return False
    return CrewMember.objects.filter(unit=unit, until_at__isnull=True, person__user=user).exists()


def _require_for_unit(actor: Actor, unit: Resource, any_unit: str, own_unit: str) -> None:
    """Control-room staff act on any unit of their force; officers on the unit they crew."""
    if actor.has_perm(any_unit):
        return
    if actor.has_perm(own_unit) and _on_crew(actor, unit):
        return
    if actor.has_perm(own_unit):
        raise PermissionDenied(f"You are not on unit {unit.call_sign}'s crew: only its crew or the control room can.")
    require(actor, any_unit)


def _open_assignment(unit: Resource) -> Assignment | None:
    return unit.assignments.exclude(state=State.CLEARED).select_related("incident").first()


@transaction.atomic
def set_unit_status(
    *, actor: Actor, unit: Resource, status_code: str, expected_version: int | None = None, position: str = ""
) -> Resource:
    """Book a unit on, off, on a break… A unit committed to an incident keeps its assignment; the
    change is written to that incident's log."""
    _own_force(actor, unit.force_id)
    _require_for_unit(actor, unit, SET_STATUS, SET_OWN_STATUS)
    status = UnitStatus.objects.filter(force_id=unit.force_id, code=status_code.strip().upper()).first()
    if status is None:
        known = ", ".join(UnitStatus.objects.filter(force_id=unit.force_id).values_list("code", flat=True))
        raise InvalidInput(f"{status_code!r} is not one of your force's unit statuses: use one of {known}.")
    committed = _open_assignment(unit)
    incident = _lock_incident(actor, committed.incident, None) if committed else None
    locked = _lock_unit(actor, unit, expected_version)
    if locked.status_id == status.pk:
        return locked
    _change_status(actor, locked, status, incident=incident)
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


# Assignments ------------------------------------------------------------------------------


def _name(person: Person) -> str:
    return f"{person.rank_or_grade} {person.last_name}".strip()


def _day(value: dt.date) -> str:
    return f"{value.day} {value:%b %Y}"


def _why_not_held(person: Person, skill_code: str, today: dt.date) -> str:
    """Why ``person`` does not hold ``skill_code`` today, from their authorisations."""
    held = [line.authorisation for line in workforce.authorisation_lines(person, today)]
    held = [a for a in held if a.skill.code == skill_code]
    expired = [a for a in held if a.valid_until is not None and a.valid_until < today]
    future = [a for a in held if a.valid_from > today]
    if expired:
        last = max(expired, key=lambda a: a.valid_until or today)
        return f"{_name(person)}'s expired on {_day(last.valid_until or today)}"
    if future:
        return f"{_name(person)}'s starts on {_day(min(a.valid_from for a in future))}"
    return f"{_name(person)} does not hold one"


def _skill_name(code: str) -> str:
    skill = workforce.skills().filter(code=code).first()
    return skill.name if skill else code


def crew_problems(unit: Resource, at: dt.datetime) -> list[str]:
    """Why the unit's crew cannot go at ``at`` (empty when it can), one sentence each."""
    crew = [member.person for member in _current_crew(unit)]
    kind = unit.unit_type
    today = workforce.as_day(at)
    problems = []
    if len(crew) < kind.min_crew:
        problems.append(f"an {kind.name} needs a crew of at least {kind.min_crew}; it has {len(crew)}")
    for code in kind.every_member_needs:
        lacking = [p for p in crew if not workforce.is_authorised(person=p, skill_code=code, at=today)]
        if lacking:
            reasons = "; ".join(_why_not_held(p, code, today) for p in lacking)
            problems.append(f"its {kind.code} crew needs a current {_skill_name(code)} authorisation; {reasons}")
    for code in kind.one_member_needs:
        if crew and not any(workforce.is_authorised(person=p, skill_code=code, at=today) for p in crew):
            problems.append(f"no one in its crew holds a current {_skill_name(code)} authorisation")
    return problems


@transaction.atomic
def assign_unit(
    *,
    actor: Actor,
    incident: Incident,
    unit: Resource,
    reassign: bool = False,
    expected_version: int | None = None,
    position: str = "",
) -> Assignment:
    """Send a unit to an incident. Refused, with the reason, when the unit is another force's (not
    found), off duty or unavailable, its crew lacks an authorisation its type needs, or it is
    committed to another open incident (unless ``reassign``: it is then taken off that one).
    The first unit moves an open incident to resourced."""
    require(actor, DISPATCH)
    _own_force(actor, unit.force_id)
    committed = _open_assignment(unit)
    # Lock incidents (lowest id first), then the unit.
    others = [committed.incident] if committed and committed.incident_id != incident.pk else []
    locked_incidents = {
        i.pk: _lock_incident(actor, i, expected_version if i.pk == incident.pk else None)
        for i in sorted([incident, *others], key=lambda i: i.pk)
    }
    target = locked_incidents[incident.pk]
    locked = _lock_unit(actor, unit)
    if target.status == Incident.Status.CLOSED:
        raise Conflict(f"{target.reference} is closed: reopen it before assigning units.")
    if locked.status.base_type in CANNOT_GO:
        raise Conflict(
            f"Unit {locked.call_sign} cannot go: it is {BaseType(locked.status.base_type).label.lower()} "
            f"({locked.status.code} {locked.status.label})."
        )
    problems = crew_problems(locked, timezone.now())
    if problems:
        raise Conflict(f"Unit {locked.call_sign} cannot go: " + "; and ".join(problems) + ".")
    committed = _open_assignment(locked)
    if committed is not None:
        if committed.incident_id == target.pk:
            raise Conflict(f"Unit {locked.call_sign} is already assigned to {target.reference}.")
        if not reassign or committed.incident_id not in locked_incidents:
            raise Conflict(
                f"Unit {locked.call_sign} is committed to {committed.incident.reference}: "
                "choose to reassign it if it should go to this incident instead."
            )
        _clear(actor, committed, locked_incidents[committed.incident_id], locked, position, reason="reassigned")
    assignment = Assignment.objects.create(
        incident=target,
        unit=locked,
        assigned_at=timezone.now(),
        assigned_by=_actor_user(actor),
        assigned_by_label=_actor_label(actor),
    )
    _change_status(actor, locked, _system_status(locked.force_id, BaseType.ASSIGNED), incident=target)
    crew = ", ".join(_name(m.person) for m in _current_crew(locked))
    append_log_entry(
        incident=target,
        actor=actor,
        kind=Kind.ASSIGNED,
        text=f"Unit {locked.call_sign} ({locked.unit_type.code}) assigned" + (f"; crew {crew}" if crew else ""),
        data={"unit_id": locked.pk, "call_sign": locked.call_sign, "assignment_id": assignment.pk},
        position=position,
    )
    if target.status == Incident.Status.OPEN:
        transition_incident(actor=actor, incident=target, to=Incident.Status.RESOURCED, position=position)
    emit(
        "control.unit.assigned",
        force=target.force,
        incident_id=target.pk,
        unit_id=locked.pk,
        assignment_id=assignment.pk,
        call_sign=locked.call_sign,
    )
    return assignment


def _clear(
    actor: Actor, assignment: Assignment, incident: Incident, unit: Resource, position: str, *, reason: str = ""
) -> None:
    assignment.state, assignment.cleared_at = State.CLEARED, timezone.now()
    assignment.save(update_fields=["state", "cleared_at"])
    append_log_entry(
        incident=incident,
        actor=actor,
        kind=Kind.UPDATED,
        text=f"Unit {unit.call_sign} cleared" + (f" ({reason})" if reason else ""),
        data={"unit_id": unit.pk, "assignment_id": assignment.pk, "state": State.CLEARED, "reason": reason},
        position=position,
    )


@transaction.atomic
def advance_assignment(*, actor: Actor, assignment: Assignment, to_state: str, position: str = "") -> Assignment:
    """Move an assignment on: en route, at scene (the incident's first arrival, for response
    times), cleared (the unit is available again)."""
    require(actor, DISPATCH)
    if to_state not in State.values:
        raise InvalidInput(f"{to_state!r} is not an assignment state: use one of {', '.join(State.values)}.")
    incident = _lock_incident(actor, assignment.incident, None)
    unit = _lock_unit(actor, assignment.unit)
    current = Assignment.objects.select_for_update().get(pk=assignment.pk)
    if to_state not in NEXT_STATES[State(current.state)]:
        raise Conflict(
            f"Unit {unit.call_sign} is {State(current.state).label.lower()} at {incident.reference}: "
            f"it cannot become {State(to_state).label.lower()}."
        )
    if to_state != State.CLEARED and incident.status == Incident.Status.CLOSED:
        raise Conflict(f"{incident.reference} is closed: the unit can only clear.")
    now = timezone.now()
    if to_state == State.CLEARED:
        _clear(actor, current, incident, unit, position)
    else:
        current.state = to_state
        stamp = "en_route_at" if to_state == State.EN_ROUTE else "at_scene_at"
        setattr(current, stamp, now)
        current.save(update_fields=["state", stamp])
        arriving = to_state == State.AT_SCENE
        append_log_entry(
            incident=incident,
            actor=actor,
            kind=Kind.ARRIVED if arriving else Kind.UPDATED,
            text=f"Unit {unit.call_sign} {'at scene' if arriving else 'en route'}",
            data={"unit_id": unit.pk, "assignment_id": current.pk, "state": to_state},
            position=position,
        )
        if arriving and incident.status in (Incident.Status.OPEN, Incident.Status.RESOURCED):
            transition_incident(actor=actor, incident=incident, to=Incident.Status.AT_SCENE, position=position)
    _change_status(actor, unit, _system_status(unit.force_id, STATE_BASE_TYPES[State(to_state)]), incident=incident)
    emit(
        "control.assignment.advanced",
        force=incident.force,
        incident_id=incident.pk,
        unit_id=unit.pk,
        assignment_id=current.pk,
        state=to_state,
    )
    return current


# Urgent assistance ------------------------------------------------------------------------


@dataclass(frozen=True)
class Raised:
    alert: UrgentAssistance
    created: bool  # False when the unit's alert was already open


@transaction.atomic
def raise_urgent_assistance(*, actor: Actor, unit: Resource, position: str = "") -> Raised:
    """An officer needs help now. Takes over every control-room screen of the unit's BCU until
    acknowledged; raising it again while open gives the same alert."""
    _own_force(actor, unit.force_id)
    require(actor, RAISE_URGENT)
    if not actor.has_perm(SET_STATUS) and not _on_crew(actor, unit):
        raise PermissionDenied(f"You are not on unit {unit.call_sign}'s crew: the control room can raise it for them.")
    committed = _open_assignment(unit)
    incident = _lock_incident(actor, committed.incident, None) if committed else None
    locked = _lock_unit(actor, unit)
    already = UrgentAssistance.objects.filter(unit=locked, acknowledged_at__isnull=True).first()
    if already is not None:
        return Raised(already, created=False)
    alert = UrgentAssistance.objects.create(
        unit=locked,
        bcu=locked.home_bcu,
        incident=incident,
        raised_at=timezone.now(),
        raised_by=_actor_user(actor),
        raised_by_label=_actor_label(actor),
    )
    if incident is not None:
        append_log_entry(
            incident=incident,
            actor=actor,
            kind=Kind.UPDATED,
            text=f"URGENT ASSISTANCE: unit {locked.call_sign}",
            data={"unit_id": locked.pk, "urgent_assistance_id": alert.pk},
            position=position,
        )
    emit(
        "control.urgent_assistance.raised",
        force=locked.force,
        alert_id=alert.pk,
        unit_id=locked.pk,
        call_sign=locked.call_sign,
        bcu=locked.home_bcu.code if locked.home_bcu else None,
        incident_id=incident.pk if incident else None,
    )
    return Raised(alert, created=True)


@transaction.atomic
def acknowledge_urgent_assistance(*, actor: Actor, alert: UrgentAssistance, position: str = "") -> UrgentAssistance:
    """Someone in the control room has taken charge: the alert leaves the screens."""
    require(actor, ACKNOWLEDGE_URGENT)
    unit = alert.unit
    _own_force(actor, unit.force_id)
    incident = _lock_incident(actor, alert.incident, None) if alert.incident else None
    locked = UrgentAssistance.objects.select_for_update().get(pk=alert.pk)
    if locked.acknowledged_at is not None:
        raise Conflict(
            f"{locked.acknowledged_by_label} already acknowledged this alert at {locked.acknowledged_at:%H:%M:%S}."
        )
    locked.acknowledged_at, locked.acknowledged_by = timezone.now(), _actor_user(actor)
    locked.acknowledged_by_label = _actor_label(actor)
    locked.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledged_by_label"])
    if incident is not None:
        append_log_entry(
            incident=incident,
            actor=actor,
            kind=Kind.UPDATED,
            text=f"Urgent assistance for unit {unit.call_sign} acknowledged",
            data={"unit_id": unit.pk, "urgent_assistance_id": locked.pk},
            position=position,
        )
    emit(
        "control.urgent_assistance.acknowledged",
        force=unit.force,
        alert_id=locked.pk,
        unit_id=unit.pk,
        bcu=locked.bcu.code if locked.bcu else None,
    )
    return locked
