"""Reads of incidents: one incident, the queue, assessments and log, open incidents near a
place (possible duplicates) and response times against the grade's target. Everything an actor
asks for goes through ``bluelamp.core.access.scoped``: 403 without the permission, another
force's records simply absent (404)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import h3
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from bluelamp.control import rules
from bluelamp.control.contacts.selectors import record_callers_shown
from bluelamp.control.models import Contact, GradeTarget, Incident, ThriveAssessment
from bluelamp.core.access import Actor, get_scoped, scoped
from bluelamp.core.errors import InvalidInput
from bluelamp.core.geography import DEFAULT_H3_RESOLUTION, h3_neighbourhood
from bluelamp.core.models import with_related

VIEW_INCIDENT = "control.view_incident"
EARTH_RADIUS_METRES = 6_371_008.8


def incident(*, actor: Actor, incident_id: int) -> Incident:
    return get_scoped(
        with_related(Incident.objects.all(), "force", "borough", "bcu"), actor, permission=VIEW_INCIDENT, pk=incident_id
    )


def incident_references(*, actor: Actor, incident_ids: list[int]) -> dict[int, str]:
    """The CAD references of those of these incidents that have their number."""
    found = scoped(Incident.objects.all(), actor, permission=VIEW_INCIDENT)
    numbered = found.filter(pk__in=incident_ids, cad_number__isnull=False).only("cad_day", "cad_number")
    return {incident.pk: incident.reference for incident in numbered}


def consult_incident(*, actor: Actor, incident_id: int, via: str) -> Incident:
    """One incident, the reading of its callers recorded."""
    found = incident(actor=actor, incident_id=incident_id)
    record_callers_shown(actor=actor, incident=found, via=via)
    return found


def incidents(
    *, actor: Actor, bcu_code: str = "", grade: str = "", status: str = "", include_closed: bool = False
) -> QuerySet[Incident]:
    """The incident queue: unresourced first, then oldest first. Closed incidents only when asked
    for (by status, or ``include_closed``)."""
    found = scoped(with_related(Incident.objects.all(), "bcu", "borough"), actor, permission=VIEW_INCIDENT)
    if bcu_code:
        found = found.filter(bcu__code=bcu_code)
    if grade:
        found = found.filter(grade=grade)
    if status:
        found = found.filter(status=status)
    elif not include_closed:
        found = found.exclude(status=Incident.Status.CLOSED)
    unresourced_first = Case(
        When(status=Incident.Status.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return found.order_by(unresourced_first, "created_at", "pk")


def assessments(incident: Incident) -> QuerySet[ThriveAssessment]:
    """Every THRIVE version of an incident the caller has already read through :func:`incident`."""
    return incident.assessments.all()  # in number order (the model's ordering); prefetched ones kept


def log(incident: Incident) -> QuerySet:  # type: ignore[type-arg]
    return incident.log.all()  # oldest first (the model's ordering); prefetched ones kept


# Possible duplicates ----------------------------------------------------------------------


def haversine_metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_METRES * math.asin(math.sqrt(a))


def _rings_covering(radius_metres: float) -> int:
    """How many h3 rings around a cell hold every point within ``radius_metres`` of a point in it:
    neighbouring cell centres are at least sqrt(3) times the edge apart, and one more ring covers the edges."""
    edge = float(h3.average_hexagon_edge_length(DEFAULT_H3_RESOLUTION, unit="m"))
    return math.ceil(radius_metres / (math.sqrt(3) * edge * 0.85)) + 1  # 0.85: cells vary in size


@dataclass(frozen=True)
class Nearby:
    incident: Incident
    metres: float
    minutes_apart: float


def open_incidents_near(
    *,
    actor: Actor,
    lat: float | None,
    lon: float | None,
    cell: str,
    at: dt.datetime,
    radius_metres: float | None = None,
    window_minutes: int | None = None,
    exclude_id: int | None = None,
) -> list[Nearby]:
    """Open incidents the actor may see within the radius and time window (defaults from
    ``data/contacts.json``), nearest first. h3 cells narrow the candidates; the exact
    great-circle distance decides."""
    if lat is None or lon is None or not cell:
        return []
    defaults = rules.duplicate_window()
    radius = defaults.radius_metres if radius_metres is None else radius_metres
    window = dt.timedelta(minutes=defaults.window_minutes if window_minutes is None else window_minutes)
    if radius <= 0 or radius > 5000 or window <= dt.timedelta(0):
        raise InvalidInput("The radius must be 1 to 5000 metres and the window at least one minute.")
    candidates = (
        scoped(Incident.objects.all(), actor, permission=VIEW_INCIDENT)
        .exclude(status=Incident.Status.CLOSED)
        .filter(h3_cell__in=h3_neighbourhood(cell, _rings_covering(radius)))
        .filter(created_at__gte=at - window, created_at__lte=at + window)
    )
    if exclude_id is not None:
        candidates = candidates.exclude(pk=exclude_id)
    found = []
    for candidate in candidates:
        if candidate.lat is None or candidate.lon is None:
            continue
        metres = haversine_metres(lat, lon, candidate.lat, candidate.lon)
        if metres <= radius:
            found.append(Nearby(candidate, metres, abs((candidate.created_at - at).total_seconds()) / 60))
    return sorted(found, key=lambda nearby: (nearby.metres, nearby.incident.pk))


def possible_duplicates(
    *, actor: Actor, contact: Contact, radius_metres: float | None = None, window_minutes: int | None = None
) -> list[Nearby]:
    """Open incidents a contact may be about: offered to the call handler to link instead."""
    return open_incidents_near(
        actor=actor,
        lat=contact.lat,
        lon=contact.lon,
        cell=contact.h3_cell,
        at=contact.received_at,
        radius_metres=radius_metres,
        window_minutes=window_minutes,
    )


# Response times ---------------------------------------------------------------------------


def target_for(grade: str, at: dt.datetime) -> GradeTarget | None:
    """The target for ``grade`` in force at ``at`` (the newest that had started by that day)."""
    day = timezone.localdate(at)
    return GradeTarget.objects.filter(grade=grade, effective_from__lte=day).order_by("-effective_from").first()


@dataclass(frozen=True)
class ResponseTime:
    """An incident against its grade's attendance target. ``met`` is None while undecided (not
    yet arrived and still in time) and when the grade has no attendance target."""

    grade: str
    target_minutes: int | None
    attended_after: dt.timedelta | None
    time_left: dt.timedelta | None
    met: bool | None


def response_time(
    incident: Incident, *, now: dt.datetime | None = None, target: GradeTarget | None = None
) -> ResponseTime:
    """Time from creation to first arrival against the target in force when the incident was
    created; for an incident not yet attended, the time left (negative when overdue)."""
    now = now or timezone.now()
    if target is None and incident.grade:
        target = target_for(incident.grade, incident.created_at)
    minutes = target.attend_within_minutes if target is not None else None
    attended = incident.first_arrived_at - incident.created_at if incident.first_arrived_at else None
    if minutes is None:
        return ResponseTime(incident.grade, None, attended, None, None)
    allowed = dt.timedelta(minutes=minutes)
    if attended is not None:
        return ResponseTime(incident.grade, minutes, attended, None, attended <= allowed)
    left = allowed - (now - incident.created_at)
    return ResponseTime(incident.grade, minutes, None, left, False if left < dt.timedelta(0) else None)


@dataclass
class BcuDay:
    """One BCU's incidents created today: counts by grade and attendance against target."""

    bcu_code: str
    bcu_name: str
    by_grade: dict[str, int] = field(default_factory=dict)
    met: int = 0
    missed: int = 0
    pending: int = 0

    @property
    def percent_within_target(self) -> float | None:
        decided = self.met + self.missed
        return round(100 * self.met / decided, 1) if decided else None


def response_summary(*, actor: Actor, day: dt.date | None = None, now: dt.datetime | None = None) -> list[BcuDay]:
    """Per BCU, the incidents created on ``day`` (default today, Europe/London): how many of each
    grade, and how many met or missed their attendance target."""
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    found = scoped(Incident.objects.select_related("bcu"), actor, permission=VIEW_INCIDENT).filter(cad_day=day)
    targets: dict[str, GradeTarget | None] = {}
    summary: dict[str, BcuDay] = {}
    for item in found.order_by("pk"):
        code = item.bcu.code if item.bcu else ""
        row = summary.setdefault(code, BcuDay(code, item.bcu.name if item.bcu else "No BCU"))
        grade = item.grade or "ungraded"
        row.by_grade[grade] = row.by_grade.get(grade, 0) + 1
        if item.grade and item.grade not in targets:
            targets[item.grade] = target_for(item.grade, item.created_at)
        if item.grade:
            _count(row, response_time(item, now=now, target=targets[item.grade]))
    return sorted(summary.values(), key=lambda row: (row.bcu_code == "", row.bcu_name))


def _count(row: BcuDay, measured: ResponseTime) -> None:
    if measured.met is True:
        row.met += 1
    elif measured.met is False:
        row.missed += 1
    elif measured.target_minutes is not None:
        row.pending += 1
