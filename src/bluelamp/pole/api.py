"""POLE API: the history at the point of contact, a person's details (justified and logged)
and the markers on a vehicle.

Every read goes through the selectors, so the actor's permissions and force apply: another
force's person or vehicle answers 404. Reading a person's details needs a justification
(``X-Justification``), which is logged with the consultation (DPA 2018 s.62)."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from bluelamp.core.access import request_actor
from bluelamp.core.justification import JustificationHeader, required
from bluelamp.core.schemas import ERRORS
from bluelamp.pole import selectors
from bluelamp.pole.models import Event, Link, Location

router = Router()


class MarkerOut(Schema):
    marker_type: str
    label: str
    review_on: dt.date
    review_overdue: bool
    detail: str


class LocationOut(Schema):
    id: int
    address: str
    postcode: str
    uprn: int | None
    lat: float
    lon: float


class EventOut(Schema):
    id: int
    kind: str
    source_system: str
    source_id: str
    reference: str  # the owning system's name for it (a CAD reference), else source_id
    occurred_at: dt.datetime
    title: str
    status: str
    open: bool


class NearbyEventOut(EventOut):
    distance_m: float


class LocationMarkersOut(LocationOut):
    distance_m: float
    markers: list[MarkerOut]


class PersonFlagOut(Schema):
    person_id: int
    roles: list[str]
    markers: list[MarkerOut]


class ObjectFlagOut(Schema):
    object_id: int
    kind: str
    identifier: str
    markers: list[MarkerOut]


class HistoryOut(Schema):
    lat: float
    lon: float
    at: dt.datetime
    since: dt.datetime
    radius_m: float
    open_radius_m: float
    previous_incidents: list[NearbyEventOut]
    location_markers: list[LocationMarkersOut]
    people_with_markers: list[PersonFlagOut]
    objects_with_markers: list[ObjectFlagOut]
    open_nearby: list[NearbyEventOut]


class LinkOut(Schema):
    role: str
    event: EventOut
    location: LocationOut | None


class PersonOut(Schema):
    id: int
    force_code: str
    surname: str
    forenames: str
    date_of_birth: dt.date | None
    gender: str
    description: str
    aliases: list[str]
    markers: list[MarkerOut]
    links: list[LinkOut]


class VehicleMarkersOut(Schema):
    object_id: int
    plate: str
    make: str
    model: str
    colour: str
    markers: list[MarkerOut]


def _markers(lines: list[selectors.MarkerLine]) -> list[MarkerOut]:
    return [
        MarkerOut(
            marker_type=m.marker_type,
            label=m.label,
            review_on=m.review_on,
            review_overdue=m.review_overdue,
            detail=m.detail,
        )
        for m in lines
    ]


def _event(event: Event) -> dict[str, Any]:
    return EventOut.model_validate(event).model_dump()


def _nearby(found: list[selectors.NearbyEvent]) -> list[NearbyEventOut]:
    return [NearbyEventOut(**_event(n.event), distance_m=round(n.distance_m, 1)) for n in found]


def _location(location: Location | None) -> LocationOut | None:
    return LocationOut.model_validate(location) if location is not None else None


def _link(found: Link) -> LinkOut:
    event = found.event
    return LinkOut(role=found.role, event=EventOut.model_validate(event), location=_location(event.location))


@router.get(
    "/history",
    response={200: HistoryOut, **ERRORS},
    summary="History at the point of contact",
    description="What is known near (`lat`, `lon`) at `at` (default now): incidents within `radius_m` "
    "(default 50) in the last `months` (default 12), warning markers current on locations within "
    "`radius_m` and on the people and objects linked to those incidents, and events still open within "
    "`open_radius_m` (default 250). People appear only as an id with their markers: their details need "
    "`GET /people/{person_id}` with a justification. Needs `pole.view_history`.",
)
def history(
    request: HttpRequest,
    lat: float,
    lon: float,
    at: dt.datetime | None = None,
    radius_m: float = selectors.HISTORY_RADIUS_M,
    months: int = selectors.HISTORY_MONTHS,
    open_radius_m: float = selectors.OPEN_RADIUS_M,
) -> HistoryOut:
    found = selectors.history_at_point(
        actor=request_actor(request),
        lat=lat,
        lon=lon,
        at=at,
        radius_m=radius_m,
        months=months,
        open_radius_m=open_radius_m,
    )
    return HistoryOut(
        lat=found.lat,
        lon=found.lon,
        at=found.at,
        since=found.since,
        radius_m=found.radius_m,
        open_radius_m=found.open_radius_m,
        previous_incidents=_nearby(found.previous),
        location_markers=[
            LocationMarkersOut(
                **LocationOut.model_validate(m.location).model_dump(),
                distance_m=round(m.distance_m, 1),
                markers=_markers(m.markers),
            )
            for m in found.location_markers
        ],
        people_with_markers=[
            PersonFlagOut(person_id=f.person_id, roles=f.roles, markers=_markers(f.markers)) for f in found.person_flags
        ],
        objects_with_markers=[
            ObjectFlagOut(
                object_id=f.object.pk, kind=f.object.kind, identifier=f.object.identifier, markers=_markers(f.markers)
            )
            for f in found.object_flags
        ],
        open_nearby=_nearby(found.open_nearby),
    )


@router.get(
    "/people/{person_id}",
    response={200: PersonOut, **ERRORS},
    summary="A person's details (logged, with your justification)",
    description="Send why you need the details in the `X-Justification` header; it is recorded with "
    "the consultation in the audit trail. Without it the answer is 422 and nothing is shown. "
    "Needs `pole.consult_person`.",
)
def get_person(
    request: HttpRequest,
    person_id: int,
    justification: JustificationHeader = None,
) -> PersonOut:
    actor = request_actor(request)
    selectors.check_person(actor=actor, person_id=person_id)  # 403 / 404 come first
    why = required(justification, what="this person's details", example="Call CAD 4711/14JUL26, checking the caller")
    record = selectors.consult_person(actor=actor, person_id=person_id, justification=why, details={"via": "API"})
    person = record.person
    return PersonOut(
        id=person.pk,
        force_code=person.force.code,
        surname=person.surname,
        forenames=person.forenames,
        date_of_birth=person.date_of_birth,
        gender=person.gender,
        description=person.description,
        aliases=list(person.aliases),
        markers=_markers(record.markers),
        links=[_link(found) for found in record.links],
    )


@router.get(
    "/vehicles/{plate}/markers",
    response={200: VehicleMarkersOut, **ERRORS},
    summary="Warning markers on a vehicle",
    description="The markers current on your force's vehicle with registration `plate` (spaces and case "
    "do not matter). 404 when your force has no record of the vehicle. Needs `pole.view_history`.",
)
def vehicle_markers(request: HttpRequest, plate: str) -> VehicleMarkersOut:
    found = selectors.markers_for_plate(actor=request_actor(request), plate=plate)
    vehicle = found.vehicle
    return VehicleMarkersOut(
        object_id=vehicle.pk,
        plate=vehicle.identifier,
        make=vehicle.make,
        model=vehicle.model,
        colour=vehicle.colour,
        markers=_markers(found.markers),
    )
