"""Writes for assignments: sending a unit to an incident (its crew checked against the unit
type's needs) and moving the assignment on, to arrival and clearing. Locks are always taken
incident first, then unit, so two dispatchers never deadlock."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from bluelamp.business import selectors as workforce
from bluelamp.control.actors import actor_label, actor_user, own_force
from bluelamp.control.incidents.log import append_log_entry
from bluelamp.control.incidents.services import lock_incident, transition_incident
from bluelamp.control.models import Assignment, BaseType, Incident, IncidentLogEntry, Resource
from bluelamp.control.units.services import (
    DISPATCH,
    change_status,
    current_crew,
    lock_unit,
    open_assignment,
    system_status,
)
from bluelamp.core.access import Actor, require
from bluelamp.core.errors import Conflict, InvalidInput
from bluelamp.core.events import emit

if TYPE_CHECKING:  # named in annotations only: people are read through business's selectors
    from bluelamp.business.models import Person

Kind = IncidentLogEntry.Kind
State = Assignment.State
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
    crew = [member.person for member in current_crew(unit)]
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
    own_force(actor, unit.force_id)
    committed = open_assignment(unit)
    # Lock incidents (lowest id first), then the unit.
    others = [committed.incident] if committed and committed.incident_id != incident.pk else []
    locked_incidents = {
        i.pk: lock_incident(actor, i, expected_version if i.pk == incident.pk else None)
        for i in sorted([incident, *others], key=lambda i: i.pk)
    }
    target = locked_incidents[incident.pk]
    locked = lock_unit(actor, unit)
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
    committed = open_assignment(locked)
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
        assigned_by=actor_user(actor),
        assigned_by_label=actor_label(actor),
    )
    change_status(actor, locked, system_status(locked.force_id, BaseType.ASSIGNED), incident=target)
    crew = ", ".join(_name(m.person) for m in current_crew(locked))
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
    incident = lock_incident(actor, assignment.incident, None)
    unit = lock_unit(actor, assignment.unit)
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
    change_status(actor, unit, system_status(unit.force_id, STATE_BASE_TYPES[State(to_state)]), incident=incident)
    emit(
        "control.assignment.advanced",
        force=incident.force,
        incident_id=incident.pk,
        unit_id=unit.pk,
        assignment_id=current.pk,
        state=to_state,
    )
    return current
