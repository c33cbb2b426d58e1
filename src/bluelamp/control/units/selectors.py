"""Reads for resources: the unit board, one unit with its crew and their current
authorisations, status timers that have run out, and open urgent-assistance alerts. Every read
goes through ``bluelamp.core.access.scoped``: 403 without the permission, another force's units
simply absent (404) — except the dispatch engine's reads by force, at the end."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import QuerySet
from django.utils import timezone

from bluelamp.business import selectors as workforce
from bluelamp.control import rules
from bluelamp.control.models import (
    Assignment,
    BaseType,
    CrewMember,
    Resource,
    UnitStatusChange,
    UnitType,
    UrgentAssistance,
)
from bluelamp.core import consultations
from bluelamp.core.access import Actor, get_scoped, scoped
from bluelamp.core.errors import InvalidInput
from bluelamp.core.models import with_related

if TYPE_CHECKING:  # named in annotations only: people are read through business's selectors
    from bluelamp.business.models import Authorisation, Person

VIEW_UNIT = "control.view_resource"
DISPATCH = "control.dispatch_resource"
ACKNOWLEDGE_URGENT = "control.acknowledge_urgent_assistance"


def _units() -> QuerySet[Resource]:
    return with_related(Resource.objects.all(), "force", "unit_type", "home_bcu", "status")


def units(*, actor: Actor, bcu_code: str = "", base_type: str = "") -> QuerySet[Resource]:
    """The resource board: the actor's force's units, by call sign, narrowed by home BCU (code)
    and status base type."""
    found = scoped(_units(), actor, permission=VIEW_UNIT)
    if bcu_code:
        found = found.filter(home_bcu__code=bcu_code)
    if base_type:
        if base_type not in BaseType.values:
            raise InvalidInput(f"{base_type!r} is not a base type: use one of {', '.join(BaseType.values)}.")
        found = found.filter(status__base_type=base_type)
    return found.order_by("call_sign", "pk")


def unit(*, actor: Actor, unit_id: int, permission: str = VIEW_UNIT) -> Resource:
    return get_scoped(_units(), actor, permission=permission, pk=unit_id)


@dataclass(frozen=True)
class CrewLine:
    member: CrewMember
    person: Person
    authorisations: list[Authorisation]  # current on the day asked about


@dataclass(frozen=True)
class UnitDetail:
    unit: Resource
    crew: list[CrewLine]
    assignment: Assignment | None
    history: list[UnitStatusChange]


def crew_lines(found: Resource, at: dt.datetime | None = None) -> list[CrewLine]:
    """The unit's crew now, each with the authorisations they hold on ``at``'s day."""
    day = workforce.as_day(at or timezone.now())
    members = found.crew.filter(until_at__isnull=True).select_related("person").order_by("from_at", "pk")
    lines = []
    for member in members:
        held = [
            line.authorisation
            for line in workforce.authorisation_lines(member.person, day)
            if line.authorisation.valid_from <= day
            and (line.authorisation.valid_until is None or line.authorisation.valid_until >= day)
        ]
        lines.append(CrewLine(member, member.person, held))
    return lines


# Crews are people of the workforce record: every page or answer that shows crews records one
# consultation naming the people shown (DPA 2018 s.62, core/consultations.py).
CREW_RECORD = "business.people"


def record_crews_shown(*, actor: Actor, people: Iterable[int], units: Iterable[int], via: str) -> None:
    consultations.record_shown(actor=actor, record_type=CREW_RECORD, shown=people, units=list(units), via=via)


def unit_detail(
    *, actor: Actor, unit_id: int, at: dt.datetime | None = None, history: int = 20, via: str = "API"
) -> UnitDetail:
    """One unit with its crew and their current authorisations (their reading recorded), its open
    assignment and its most recent status changes (newest first)."""
    found = unit(actor=actor, unit_id=unit_id)
    committed = found.assignments.exclude(state=Assignment.State.CLEARED).select_related("incident").first()
    changes = list(
        found.status_changes.select_related("from_status", "to_status", "incident").order_by("-pk")[:history]
    )
    crew = crew_lines(found, at)
    record_crews_shown(actor=actor, people=[line.person.pk for line in crew], units=[found.pk], via=via)
    return UnitDetail(found, crew, committed, changes)


def assignment(*, actor: Actor, assignment_id: int) -> Assignment:
    return get_scoped(
        with_related(Assignment.objects.all(), "incident", "unit", "unit__force"),
        actor,
        permission=DISPATCH,
        force_field="unit__force",
        pk=assignment_id,
    )


def assignments(incident_id: int) -> QuerySet[Assignment]:
    """The units sent to an incident the caller has already read through ``selectors.incident``."""
    return Assignment.objects.filter(incident_id=incident_id).select_related("unit").order_by("assigned_at", "pk")


# Timers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueTimer:
    unit: Resource
    timer: rules.StatusTimer
    elapsed: dt.timedelta

    @property
    def prompt(self) -> str:
        minutes = int(self.elapsed.total_seconds() // 60)
        status = BaseType(self.timer.base_type).label.lower()
        return f"{self.unit.call_sign} {status} {minutes} min — {self.timer.prompt}"


def due_timers(*, actor: Actor, now: dt.datetime | None = None, bcu_code: str = "") -> list[DueTimer]:
    """Units whose status has run past a timer rule (``data/status_timers.json``), longest
    overdue first. Each unit shows the most serious prompt that applies."""
    now = now or timezone.now()
    timers = rules.status_timers(timezone.localdate(now))
    found = units(actor=actor, bcu_code=bcu_code)
    due: dict[int, DueTimer] = {}
    for timer in timers:  # longest first within a base type
        limit = now - dt.timedelta(minutes=timer.minutes)
        for item in found.filter(status__base_type=timer.base_type, status_since__lte=limit):
            due.setdefault(item.pk, DueTimer(item, timer, now - item.status_since))
    return sorted(due.values(), key=lambda d: (-d.elapsed, d.unit.call_sign))


# Urgent assistance ------------------------------------------------------------------------


def urgent_assistance(*, actor: Actor, alert_id: int) -> UrgentAssistance:
    return get_scoped(
        with_related(UrgentAssistance.objects.all(), "unit", "unit__force", "bcu", "incident"),
        actor,
        permission=VIEW_UNIT,
        force_field="unit__force",
        pk=alert_id,
    )


def open_urgent_assistance(*, actor: Actor, bcu_code: str = "") -> QuerySet[UrgentAssistance]:
    """Alerts not yet acknowledged, oldest first; with ``bcu_code``, those for that BCU's screens."""
    found = scoped(
        UrgentAssistance.objects.select_related("unit", "bcu", "incident"),
        actor,
        permission=VIEW_UNIT,
        force_field="unit__force",
    ).filter(acknowledged_at__isnull=True)
    if bcu_code:
        found = found.filter(bcu__code=bcu_code)
    return found.order_by("raised_at", "pk")


# For the dispatch engine ------------------------------------------------------------------
# The engine keeps one index per force, shared by every user of that force, so these read by
# force rather than by actor; the engine's own answers require the actor's permission.


def unit_count(force_id: int) -> int:
    return Resource.objects.filter(force_id=force_id).count()


def _force_units(force_id: int, unit_ids: Iterable[int] | None) -> QuerySet[Resource]:
    found = Resource.objects.filter(force_id=force_id)
    return found if unit_ids is None else found.filter(pk__in=list(unit_ids))


def unit_states(force_id: int, unit_ids: Iterable[int] | None = None) -> list[tuple[int, str, str, str]]:
    """Each unit of the force (or those named) as (id, call sign, unit type code, status base type)."""
    return list(_force_units(force_id, unit_ids).values_list("pk", "call_sign", "unit_type__code", "status__base_type"))


def open_commitments(unit_ids: Iterable[int]) -> list[tuple[int, int, str | None]]:
    """(unit id, incident id, incident grade) for each of these units' assignments not yet cleared."""
    found = Assignment.objects.filter(unit_id__in=list(unit_ids)).exclude(state=Assignment.State.CLEARED)
    return list(found.values_list("unit_id", "incident_id", "incident__grade"))


def units_committed_to(incident_id: int) -> list[int]:
    """The units sent to an incident and not yet cleared from it."""
    found = Assignment.objects.filter(incident_id=incident_id).exclude(state=Assignment.State.CLEARED)
    return list(found.values_list("unit_id", flat=True))


def current_crews(force_id: int, unit_ids: Iterable[int] | None = None) -> list[tuple[int, int]]:
    """(unit id, person id) for each member of the force's units' crews now."""
    found = CrewMember.objects.filter(unit__force_id=force_id, until_at__isnull=True)
    if unit_ids is not None:
        found = found.filter(unit_id__in=list(unit_ids))
    return list(found.values_list("unit_id", "person_id"))


def unit_types_of(force_id: int, unit_ids: Iterable[int] | None = None) -> list[tuple[int, UnitType]]:
    """(unit id, its unit type, with the crew that type needs) for the force's units."""
    types = {t.pk: t for t in UnitType.objects.all()}
    return [(pk, types[type_id]) for pk, type_id in _force_units(force_id, unit_ids).values_list("pk", "unit_type_id")]


def force_units(force_id: int, unit_ids: Iterable[int]) -> dict[int, Resource]:
    """The force's units among ``unit_ids``, by id (another force's units are simply absent)."""
    return {unit.pk: unit for unit in _force_units(force_id, unit_ids)}


def unit_home_bcus(force_id: int) -> list[tuple[int, int | None]]:
    """(unit id, home BCU id) for every unit of the force."""
    return list(_force_units(force_id, None).values_list("pk", "home_bcu_id"))
