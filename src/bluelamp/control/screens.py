"""Reads for the live control-room screens: the resource board, the urgent-assistance takeover,
the command view and the map. Every read starts from a scoped selector
(``units.selectors``, ``incidents.selectors``), so a screen never shows another force's records and
answers 403 without the permission."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from bluelamp.business import selectors as workforce
from bluelamp.control import dispatch_link, rules
from bluelamp.control.dispatch_link import Position
from bluelamp.control.incidents import selectors as incident_selectors
from bluelamp.control.models import Assignment, BaseType, CrewMember, Incident, Resource, UnitType, UrgentAssistance
from bluelamp.control.units import selectors as unit_selectors
from bluelamp.core.access import Actor, scoped
from bluelamp.core.models import Bcu

# MoJ/GOV.UK tag colour for each base type; the status text is always shown beside it.
BASE_TYPE_TAGS = {
    BaseType.AVAILABLE: "govuk-tag--green",
    BaseType.ASSIGNED: "govuk-tag--blue",
    BaseType.EN_ROUTE: "govuk-tag--light-blue",
    BaseType.AT_SCENE: "govuk-tag--purple",
    BaseType.RETURNING: "govuk-tag--turquoise",
    BaseType.UNAVAILABLE: "govuk-tag--orange",
    BaseType.OFF_DUTY: "govuk-tag--grey",
}
GRADES = ("I", "S", "E", "R", "")
OPEN_STATUSES = (Incident.Status.OPEN, Incident.Status.RESOURCED, Incident.Status.AT_SCENE)


def bcu_choices(actor: Actor) -> list[tuple[str, str]]:
    return [(b.code, b.name) for b in Bcu.objects.filter(force_id=actor.force_id or 0).order_by("name")]


def unit_type_choices() -> list[tuple[str, str]]:
    return [(t.code, t.name) for t in UnitType.objects.order_by("name")]


def minutes(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() // 60)


# The resource board -------------------------------------------------------------------------


@dataclass(frozen=True)
class CrewLine:
    name: str
    skills: list[str]  # names of the authorisations held today
    person_id: int = 0  # who, for the record of the board's reading


@dataclass
class BoardRow:
    unit: Resource
    tag: str
    minutes_in_status: int
    timer_prompt: str  # "" when no status timer has run out
    crew: list[CrewLine]
    incident: Incident | None
    position: Position | None = None  # from the AVL feed; None when not known


@dataclass
class BoardGroup:
    bcu_code: str
    bcu_name: str
    rows: list[BoardRow] = field(default_factory=list)


def board(
    *, actor: Actor, bcu_code: str = "", unit_type: str = "", base_type: str = "", now: dt.datetime | None = None
) -> list[BoardGroup]:
    """The force's units grouped by home BCU (units without one last), by call sign, with their
    status, time in it and any status timer that has run out, crew with their current
    authorisations, and the incident they are committed to."""
    now = now or timezone.now()
    found = unit_selectors.units(actor=actor, bcu_code=bcu_code, base_type=base_type)
    if unit_type:
        found = found.filter(unit_type__code=unit_type)
    today = workforce.as_day(now)
    crew_now = (
        CrewMember.objects.filter(until_at__isnull=True)
        .select_related("person")
        .prefetch_related(workforce.held_on(today, lookup="person__authorisations"))
        .order_by("from_at")
    )
    found = found.prefetch_related(
        Prefetch("crew", queryset=crew_now, to_attr="current_crew"),
        Prefetch(
            "assignments",
            queryset=Assignment.objects.exclude(state=Assignment.State.CLEARED).select_related("incident"),
            to_attr="open_assignments",
        ),
    )
    timers = rules.status_timers(timezone.localdate(now))
    positions = unit_positions(actor=actor)
    groups: dict[str, BoardGroup] = {}
    for unit in found:
        elapsed = now - unit.status_since
        prompt = next(
            (
                t.prompt
                for t in timers
                if t.base_type == unit.status.base_type and elapsed >= dt.timedelta(minutes=t.minutes)
            ),
            "",
        )
        crew = []
        for member in unit.current_crew:
            person = member.person
            held = {authorisation.skill.name for authorisation in person.held}  # type: ignore[attr-defined]  # prefetched
            crew.append(CrewLine(f"{person.rank_or_grade} {person.last_name}".strip(), sorted(held), person.pk))
        committed = unit.open_assignments[0].incident if unit.open_assignments else None
        key = unit.home_bcu.code if unit.home_bcu else ""
        group = groups.setdefault(key, BoardGroup(key, unit.home_bcu.name if unit.home_bcu else "No home BCU"))
        group.rows.append(
            BoardRow(
                unit=unit,
                tag=BASE_TYPE_TAGS.get(BaseType(unit.status.base_type), "govuk-tag--grey"),
                minutes_in_status=minutes(elapsed),
                timer_prompt=prompt,
                crew=crew,
                incident=committed,
                position=positions.get(unit.pk),
            )
        )
    return sorted(groups.values(), key=lambda g: (g.bcu_code == "", g.bcu_name))


# Urgent assistance ----------------------------------------------------------------------------


def alerts_for_screen(*, actor: Actor, bcu_code: str = "") -> list[UrgentAssistance]:
    """Open urgent-assistance alerts a screen shows: every one of the force's when the screen
    shows all BCUs, otherwise that BCU's (and any unit without a home BCU). Empty for someone
    who may not see units."""
    if not actor.has_perm(unit_selectors.VIEW_UNIT) or actor.force_id is None:
        return []
    found = scoped(
        UrgentAssistance.objects.select_related("unit", "unit__unit_type", "bcu", "incident"),
        actor,
        permission=unit_selectors.VIEW_UNIT,
        force_field="unit__force",
    ).filter(acknowledged_at__isnull=True)
    if bcu_code:
        found = found.filter(Q(bcu__code=bcu_code) | Q(bcu__isnull=True))
    return list(found.order_by("raised_at", "pk"))


# The command view -----------------------------------------------------------------------------


@dataclass
class AreaPicture:
    """One BCU (or borough) on the command view."""

    code: str
    name: str
    by_grade: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GRADES, 0))
    open_total: int = 0
    unresourced: list[tuple[Incident, int]] = field(default_factory=list)  # (incident, age in minutes)
    available_by_type: dict[str, int] = field(default_factory=dict)
    urgent: int = 0
    compliance: dict[str, tuple[int, int]] = field(default_factory=dict)  # grade -> (met, due)

    def percent(self, grade: str) -> int | None:
        met, due = self.compliance.get(grade, (0, 0))
        return round(100 * met / due) if due else None

    @property
    def i_percent(self) -> int | None:
        return self.percent("I")

    @property
    def s_percent(self) -> int | None:
        return self.percent("S")

    @property
    def ungraded(self) -> int:
        return self.by_grade.get("", 0)

    @property
    def available_total(self) -> int:
        return sum(self.available_by_type.values())

    @property
    def oldest_unresourced(self) -> int | None:
        return max((age for _, age in self.unresourced), default=None)


@dataclass
class CommandPicture:
    areas: list[AreaPicture]
    boroughs: list[AreaPicture]
    total: AreaPicture
    unit_types: list[str]
    urgent: list[UrgentAssistance]
    operations: list[Any]
    now: dt.datetime


def _compliance(incidents: QuerySet[Incident], now: dt.datetime) -> dict[tuple[str, str], tuple[int, int]]:
    """(area code, grade) → (met, due) for I and S incidents created today: due counts those
    attended and those whose target has passed without attendance."""
    result: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    targets: dict[tuple[str, dt.date], Any] = {}
    for item in incidents:
        key = (item.grade, item.cad_day)
        if key not in targets:
            targets[key] = incident_selectors.target_for(item.grade, item.created_at)
        measured = incident_selectors.response_time(item, now=now, target=targets[key])
        if measured.met is None:
            continue  # still within target, not attended: not yet counted
        for area in (item.bcu.code if item.bcu else "", item.borough.gss_code if item.borough else "", "*"):
            result[(area, item.grade)][1] += 1
            if measured.met:
                result[(area, item.grade)][0] += 1
    return {key: (value[0], value[1]) for key, value in result.items()}


def command_picture(*, actor: Actor, bcu_code: str = "", now: dt.datetime | None = None) -> CommandPicture:
    """Everything the command view shows, per BCU and per borough, with force totals."""
    now = now or timezone.now()
    bcus = list(Bcu.objects.filter(force_id=actor.force_id or 0).order_by("name"))
    if bcu_code:
        bcus = [b for b in bcus if b.code == bcu_code]
    areas = {b.code: AreaPicture(b.code, b.name) for b in bcus}
    boroughs: dict[str, AreaPicture] = {}
    total = AreaPicture("*", "Whole force")
    open_incidents = incident_selectors.incidents(actor=actor, bcu_code=bcu_code).select_related("bcu", "borough")
    for item in open_incidents:
        pictures = [total]
        if item.bcu and item.bcu.code in areas:
            pictures.append(areas[item.bcu.code])
        if item.borough:
            name = item.borough.name
            pictures.append(boroughs.setdefault(item.borough.gss_code, AreaPicture(item.borough.gss_code, name)))
        age = minutes(now - item.created_at)
        for picture in pictures:
            picture.open_total += 1
            picture.by_grade[item.grade or ""] = picture.by_grade.get(item.grade or "", 0) + 1
            if item.status == Incident.Status.OPEN:
                picture.unresourced.append((item, age))
    for picture in [total, *areas.values(), *boroughs.values()]:
        picture.unresourced.sort(key=lambda pair: -pair[1])
    unit_types: set[str] = set()
    units = unit_selectors.units(actor=actor, bcu_code=bcu_code, base_type=BaseType.AVAILABLE)
    counts = Counter((u.home_bcu.code if u.home_bcu else "", u.unit_type.code) for u in units)
    for (code, kind), count in counts.items():
        unit_types.add(kind)
        for counted in [total, areas.get(code)]:
            if counted is not None:
                counted.available_by_type[kind] = counted.available_by_type.get(kind, 0) + count
    today = timezone.localdate(now)
    created_today = scoped(
        Incident.objects.select_related("bcu", "borough"), actor, permission=incident_selectors.VIEW_INCIDENT
    ).filter(cad_day=today, grade__in=["I", "S"])
    if bcu_code:
        created_today = created_today.filter(bcu__code=bcu_code)
    compliance = _compliance(created_today, now)
    for (code, grade), value in compliance.items():
        target = total if code == "*" else areas.get(code) or boroughs.get(code)
        if target is not None:
            target.compliance[grade] = value
    urgent = alerts_for_screen(actor=actor, bcu_code=bcu_code)
    for alert in urgent:
        total.urgent += 1
        if alert.bcu and alert.bcu.code in areas:
            areas[alert.bcu.code].urgent += 1
    return CommandPicture(
        areas=list(areas.values()),
        boroughs=sorted(boroughs.values(), key=lambda p: p.name),
        total=total,
        unit_types=sorted(unit_types),
        urgent=urgent,
        operations=dispatch_link.running_operations(actor=actor, now=now),
        now=now,
    )


# The map ----------------------------------------------------------------------------------------

BOUNDARY_CACHE_SECONDS = 24 * 60 * 60
SIMPLIFY_DEGREES = 0.0002  # about 15 m: outlines stay true at city zoom and the file stays small


def boundaries(*, actor: Actor) -> str:
    """The force's boroughs and its BCUs' outlines (each the union of its boroughs) as one
    GeoJSON FeatureCollection (``kind`` tells the two apart), as JSON text. Worked out once per
    force and kept in the cache: boundaries change only when the geography is loaded again."""
    from django.core.cache import cache

    from bluelamp.core.models import Borough

    force_id = actor.force_id or 0
    stamp = Borough.objects.filter(force_id=force_id).count()
    key = f"control:map:boundaries:{force_id}:{stamp}"
    found = cache.get(key)
    if found is not None:
        return str(found)
    from shapely.geometry import mapping, shape
    from shapely.ops import unary_union

    features: list[dict[str, Any]] = []
    by_bcu: dict[int, list[Any]] = defaultdict(list)
    names: dict[int, tuple[str, str]] = {}
    for borough in Borough.with_boundary.filter(force_id=force_id).select_related("bcu").order_by("name"):
        geometry = shape(borough.boundary).simplify(SIMPLIFY_DEGREES, preserve_topology=True)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "kind": "borough",
                    "code": borough.gss_code,
                    "name": borough.name,
                    "bcu": borough.bcu.code if borough.bcu else "",
                },
                "geometry": mapping(geometry),
            }
        )
        if borough.bcu is not None:
            by_bcu[borough.bcu.pk].append(shape(borough.boundary))
            names[borough.bcu.pk] = (borough.bcu.code, borough.bcu.name)
    for pk, shapes in by_bcu.items():
        outline = unary_union(shapes).buffer(0).simplify(SIMPLIFY_DEGREES, preserve_topology=True)
        code, name = names[pk]
        features.append(
            {"type": "Feature", "properties": {"kind": "bcu", "code": code, "name": name}, "geometry": mapping(outline)}
        )
    collection = json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))
    cache.set(key, collection, BOUNDARY_CACHE_SECONDS)
    return collection


def unit_positions(*, actor: Actor) -> dict[int, Position]:
    """Latest known positions of the force's units, from the dispatch app's AVL feed when that
    app is installed; empty otherwise (the units are then listed beside the map)."""
    return dispatch_link.positions(actor=actor)


def map_data(*, actor: Actor, bcu_code: str = "", now: dt.datetime | None = None) -> dict[str, Any]:
    """What the map and the list beside it show: open incidents with a point, and units with
    their status and position (when known)."""
    now = now or timezone.now()
    incidents = []
    for item in incident_selectors.incidents(actor=actor, bcu_code=bcu_code)[:500]:
        incidents.append(
            {
                "id": item.pk,
                "reference": item.reference,
                "grade": item.grade,
                "status": item.status,
                "status_label": item.get_status_display(),
                "address": item.address,
                "bcu": item.bcu.code if item.bcu else "",
                "lat": item.lat,
                "lon": item.lon,
                "age_minutes": minutes(now - item.created_at),
            }
        )
    positions = unit_positions(actor=actor)
    units = []
    for unit in unit_selectors.units(actor=actor, bcu_code=bcu_code).exclude(status__base_type=BaseType.OFF_DUTY):
        where = positions.get(unit.pk)
        units.append(
            {
                "id": unit.pk,
                "call_sign": unit.call_sign,
                "type": unit.unit_type.code,
                "status": unit.status.code,
                "status_label": unit.status.label,
                "base_type": unit.status.base_type,
                "bcu": unit.home_bcu.code if unit.home_bcu else "",
                "lat": where.lat if where else None,
                "lon": where.lon if where else None,
                "at": where.at if where else None,
                "stale": where.stale if where else None,
            }
        )
    return {"incidents": incidents, "units": units, "at": now.isoformat()}
