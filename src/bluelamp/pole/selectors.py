"""Reads of the POLE store, all through ``bluelamp.core.access.scoped``: 403 without the
permission, another force's records simply absent (404).

The history at the point of contact (:func:`history_at_point`) is what a call handler sees
while a call is taken: previous incidents near the place, warning markers on it and on the
people and vehicles linked to those incidents, and open events nearby. People are shown there
only as "a person with a marker" and an id: opening their details needs a justification
(:func:`consult_person`), which is logged (DPA 2018 s.62)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from bluelamp.core import audit
from bluelamp.core.access import Actor, get_scoped, scoped
from bluelamp.core.errors import InvalidInput, NotFound
from bluelamp.core.geography import check_lat_lon
from bluelamp.core.models import with_related
from bluelamp.pole import catalogue, nearby, sources
from bluelamp.pole.models import Event, Link, Location, Object, Person, WarningMarker
from bluelamp.pole.months import add_months
from bluelamp.pole.services import PERSON

VIEW_HISTORY = "pole.view_history"
CONSULT_PERSON = "pole.consult_person"
HISTORY_RADIUS_M = 50.0
HISTORY_MONTHS = 12
OPEN_RADIUS_M = 250.0
MAX_RADIUS_M = 2_000.0


# Markers -------------------------------------------------------------------------------------


def current_at(at: dt.datetime, prefix: str = "") -> Q:
    """Markers in force at ``at``: added by then and not ended by then."""
    return Q(**{f"{prefix}added_at__lte": at}) & (
        Q(**{f"{prefix}ended_at__isnull": True}) | Q(**{f"{prefix}ended_at__gt": at})
    )


@dataclass(frozen=True)
class MarkerLine:
    """One marker as the point of contact shows it. ``detail`` is left blank for people."""

    marker_id: int
    marker_type: str
    label: str
    review_on: dt.date
    review_overdue: bool
    detail: str = ""

    @property
    def summary(self) -> str:
        """e.g. "Violence (review 3/2027)"."""
        overdue = ", review overdue" if self.review_overdue else ""
        return f"{self.label} (review {self.review_on.month}/{self.review_on.year}{overdue})"


def marker_line(marker: WarningMarker, at: dt.datetime, *, with_detail: bool = True) -> MarkerLine:
    return MarkerLine(
        marker_id=marker.pk,
        marker_type=marker.marker_type,
        label=catalogue.marker_label(marker.marker_type),
        review_on=marker.review_on,
        review_overdue=marker.review_on < timezone.localdate(at),
        detail=marker.detail if with_detail else "",
    )


# The history at the point of contact ----------------------------------------------------------


@dataclass(frozen=True)
class NearbyEvent:
    event: Event
    distance_m: float


@dataclass(frozen=True)
class LocationMarkers:
    location: Location
    distance_m: float
    markers: list[MarkerLine]


@dataclass(frozen=True)
class PersonFlag:
    """A person linked to a nearby incident who has markers: no name, only the id to ask for."""

    person_id: int
    roles: list[str]
    markers: list[MarkerLine]


@dataclass(frozen=True)
class ObjectFlag:
    object: Object
    markers: list[MarkerLine]


@dataclass(frozen=True)
class History:
    lat: float
    lon: float
    at: dt.datetime
    radius_m: float
    since: dt.datetime
    open_radius_m: float
    previous: list[NearbyEvent]
    location_markers: list[LocationMarkers]
    person_flags: list[PersonFlag]
    object_flags: list[ObjectFlag]
    open_nearby: list[NearbyEvent] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (
            self.previous or self.location_markers or self.person_flags or self.object_flags or self.open_nearby
        )


def _check_radius(radius_m: float, name: str) -> None:
    if not 0 < radius_m <= MAX_RADIUS_M:
        raise InvalidInput(f"{name} must be more than 0 and at most {MAX_RADIUS_M:.0f} metres.")


def _within(events: QuerySet[Event], *, lat: float, lon: float, radius_m: float) -> list[NearbyEvent]:
    """Events at a location within ``radius_m``: the h3 disk narrows, the exact distance decides."""
    candidates = events.filter(location__h3_cell__in=nearby.cells_within(lat, lon, radius_m)).select_related("location")
    found = []
    for event in candidates:
        assert event.location is not None
        distance = nearby.haversine_m(lat, lon, event.location.lat, event.location.lon)
        if distance <= radius_m:
            found.append(NearbyEvent(event, distance))
    return found


def _locations_within(
    locations: QuerySet[Location], *, lat: float, lon: float, radius_m: float
) -> list[tuple[Location, float]]:
    candidates = locations.filter(h3_cell__in=nearby.cells_within(lat, lon, radius_m))
    pairs = ((location, nearby.haversine_m(lat, lon, location.lat, location.lon)) for location in candidates)
    return sorted((pair for pair in pairs if pair[1] <= radius_m), key=lambda pair: pair[1])


def _location_markers(
    actor: Actor, *, lat: float, lon: float, radius_m: float, at: dt.datetime
) -> list[LocationMarkers]:
    marked = scoped(Location.objects.all(), actor, permission=VIEW_HISTORY).filter(
        pk__in=WarningMarker.objects.filter(current_at(at), location__isnull=False).values("location_id")
    )
    found = []
    for location, distance in _locations_within(marked, lat=lat, lon=lon, radius_m=radius_m):
        markers = location.markers.filter(current_at(at)).order_by("marker_type")
        found.append(LocationMarkers(location, distance, [marker_line(m, at) for m in markers]))
    return found


def _current_markers(actor: Actor, at: dt.datetime, **subject: Any) -> QuerySet[WarningMarker]:
    markers = scoped(WarningMarker.objects.all(), actor, permission=VIEW_HISTORY)
    return markers.filter(current_at(at), **subject).order_by("marker_type")


def _person_flags(actor: Actor, links: list[Link], at: dt.datetime) -> list[PersonFlag]:
    roles: dict[int, set[str]] = {}
    for found in links:
        if found.person_id is not None:
            roles.setdefault(found.person_id, set()).add(found.role)
    by_person: dict[int, list[MarkerLine]] = {}
    for marker in _current_markers(actor, at, person_id__in=roles):
        assert marker.person_id is not None
        by_person.setdefault(marker.person_id, []).append(marker_line(marker, at, with_detail=False))
    return [PersonFlag(person_id, sorted(roles[person_id]), lines) for person_id, lines in sorted(by_person.items())]


def _object_flags(actor: Actor, links: list[Link], at: dt.datetime) -> list[ObjectFlag]:
    objects = {found.object_id: found.object for found in links if found.object is not None}
    by_object: dict[int, list[MarkerLine]] = {}
    for marker in _current_markers(actor, at, object_id__in=objects):
        assert marker.object_id is not None
        by_object.setdefault(marker.object_id, []).append(marker_line(marker, at))
    return [ObjectFlag(objects[object_id], lines) for object_id, lines in sorted(by_object.items())]


def history_at_point(
    *,
    actor: Actor,
    lat: float,
    lon: float,
    at: dt.datetime | None = None,
    radius_m: float = HISTORY_RADIUS_M,
    months: int = HISTORY_MONTHS,
    open_radius_m: float = OPEN_RADIUS_M,
) -> History:
    """What is known about the place (lat, lon) at ``at`` (default now): incidents within
    ``radius_m`` in the ``months`` before, markers current at ``at`` on locations within
    ``radius_m`` and on the people and objects linked to those incidents, and events still open
    within ``open_radius_m``. Needs ``pole.view_history``; only the actor's force's records."""
    check_lat_lon(lat, lon)
    _check_radius(radius_m, "The radius")
    _check_radius(open_radius_m, "The radius for open events")
    if not 1 <= months <= 120:
        raise InvalidInput("Months must be between 1 and 120.")
    at = at or timezone.now()
    since = add_months(at, -months)
    events = scoped(Event.objects.all(), actor, permission=VIEW_HISTORY)
    previous = _within(
        events.filter(kind=catalogue.INCIDENT, occurred_at__gte=since, occurred_at__lte=at),
        lat=lat,
        lon=lon,
        radius_m=radius_m,
    )
    previous.sort(key=lambda found: found.event.occurred_at, reverse=True)
    links = list(Link.objects.filter(event__in=[found.event for found in previous]).select_related("object"))
    open_nearby = _within(events.filter(open=True, occurred_at__lte=at), lat=lat, lon=lon, radius_m=open_radius_m)
    open_nearby.sort(key=lambda found: found.distance_m)
    sources.name_events(found.event for found in [*previous, *open_nearby])
    return History(
        lat=lat,
        lon=lon,
        at=at,
        radius_m=radius_m,
        since=since,
        open_radius_m=open_radius_m,
        previous=previous,
        location_markers=_location_markers(actor, lat=lat, lon=lon, radius_m=radius_m, at=at),
        person_flags=_person_flags(actor, links, at),
        object_flags=_object_flags(actor, links, at),
        open_nearby=open_nearby,
    )


@dataclass(frozen=True)
class VehicleMarkers:
    vehicle: Object
    markers: list[MarkerLine]


def markers_for_plate(*, actor: Actor, plate: str, at: dt.datetime | None = None) -> VehicleMarkers:
    """The markers current on the force's vehicle with this registration (any spelling)."""
    at = at or timezone.now()
    identifier = catalogue.normalise_plate(plate)
    vehicle = get_scoped(
        Object.objects.all(), actor, permission=VIEW_HISTORY, kind=catalogue.VEHICLE, identifier=identifier or "-"
    )
    markers = _current_markers(actor, at, object=vehicle)
    return VehicleMarkers(vehicle, [marker_line(marker, at) for marker in markers])


# A person's details (justified and logged) ------------------------------------------------------


@dataclass(frozen=True)
class PersonRecord:
    person: Person
    links: list[Link]
    markers: list[MarkerLine]
    ended_markers: list[WarningMarker]


def check_person(*, actor: Actor, person_id: int) -> None:
    """Raise 403 or 404 unless the actor may open this person, without reading the record
    (the page asks for a justification first)."""
    if not scoped(Person.objects.all(), actor, permission=CONSULT_PERSON).filter(pk=person_id).exists():
        raise NotFound("No person matches that reference.")


def consult_person(
    *, actor: Actor, person_id: int, justification: str, details: dict[str, Any] | None = None
) -> PersonRecord:
    """One person's details, with the events they are linked to and their markers, logged as
    a consultation with its justification. Reading and logging are one step so that no path
    reads the record without the log; a blank justification is refused before anything is read."""
    if not justification.strip():
        raise InvalidInput("Say why you need to see this person's details before they are shown.")
    person = get_scoped(with_related(Person.objects.all(), "force"), actor, permission=CONSULT_PERSON, pk=person_id)
    audit.record(
        operation=audit.Operation.CONSULTATION,
        actor=actor,
        record_type=PERSON,
        record_ids=[person.pk],
        force=person.force,
        justification=justification,
        details=details,
    )
    now = timezone.now()
    links = list(person.links.select_related("event", "event__location").order_by("-event__occurred_at"))
    sources.name_events(link.event for link in links)
    current = person.markers.filter(current_at(now)).order_by("marker_type")
    ended = person.markers.exclude(current_at(now)).order_by("-ended_at")
    return PersonRecord(person, links, [marker_line(m, now) for m in current], list(ended))
