"""Dispatch API: the AVL feed (batches of positions), latest positions and their history, the
recommended units for an incident and sending them in one call, and pre-planned operations.

Reads go through the selectors (403 without the permission, 404 for another force's record),
writes through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from bluelamp.control.incidents import selectors as incident_selectors
from bluelamp.core.access import request_actor
from bluelamp.core.schemas import ERRORS, WRITE_ERRORS
from bluelamp.dispatch import avl, recommend, selectors, services
from bluelamp.dispatch.models import Operation, OperationLogEntry, PositionSample

router = Router()


# AVL ----------------------------------------------------------------------------------------


class PositionsIn(Schema):
    items: list[Any] = Field(
        ...,
        description=(
            "Up to 5,000 positions. Each: unit (call sign or id), at (ISO 8601 with offset), lat and lon (WGS84) "
            "or easting and northing (BNG metres), speed (m/s, optional), heading (degrees, optional), source."
        ),
        examples=[[{"unit": "MD21", "at": "2026-11-25T23:50:00Z", "lat": 51.5080, "lon": -0.1281, "speed": 8.5,
                    "heading": 90, "source": "avl"}]],
    )  # fmt: skip


class RejectedOut(Schema):
    index: int
    code: str
    reason: str


class PositionsOut(Schema):
    accepted: int
    duplicates: int
    late: int
    sampled: int
    rejected: list[RejectedOut]


@router.post("/positions", response={200: PositionsOut, **ERRORS}, summary="Send a batch of unit positions (AVL)")
def send_positions(request: HttpRequest, body: PositionsIn) -> avl.Ingested:
    return avl.ingest_positions(actor=request_actor(request), items=body.items)


class PositionOut(Schema):
    unit_id: int
    call_sign: str
    lat: float
    lon: float
    at: str
    stale: bool


@router.get("/positions", response={200: list[PositionOut], **ERRORS}, summary="Latest position of every unit")
def latest_positions(request: HttpRequest) -> list[selectors.Position]:
    return selectors.latest_positions(actor=request_actor(request))


class SampleOut(Schema):
    at: dt.datetime
    lat: float
    lon: float
    easting: float
    northing: float
    speed: float | None
    heading: float | None
    source: str


@router.get(
    "/units/{unit_id}/positions", response={200: list[SampleOut], **ERRORS}, summary="A unit's sampled position history"
)
def position_history(
    request: HttpRequest, unit_id: int, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> list[PositionSample]:
    return list(
        selectors.position_history(actor=request_actor(request), unit_id=unit_id, since=since, until=until)[:5000]
    )


# Recommendation -----------------------------------------------------------------------------


class CandidateOut(Schema):
    unit_id: int
    call_sign: str
    unit_type: str
    recommended: bool
    eta_seconds: int
    distance_m: float
    lat: float
    lon: float
    position_at: dt.datetime
    stale: bool
    preemptible: bool
    committed_incident_id: int | None
    committed_grade: str
    matched: list[str]
    reasons: list[str]


class RequirementOut(Schema):
    code: str
    label: str
    unit_types: list[str]
    skills_all: list[str]
    skills_any: list[str]
    units: int


class NoCandidateOut(Schema):
    code: str
    message: str


class RecommendationOut(Schema):
    incident_id: int
    reference: str
    grade: str
    requirement: RequirementOut
    needed: int
    candidates: list[CandidateOut]
    no_candidate: NoCandidateOut | None
    ties: list[str]
    order: str = "By ETA in whole seconds; equal ETAs in call-sign order."


def _recommendation_out(found: recommend.Recommendation) -> RecommendationOut:
    r = found.requirement
    return RecommendationOut(
        incident_id=found.incident.pk,
        reference=found.incident.reference,
        grade=found.grade,
        requirement=RequirementOut(
            code=r.code,
            label=r.label,
            unit_types=list(r.unit_types),
            skills_all=list(r.skills_all),
            skills_any=list(r.skills_any),
            units=r.units,
        ),
        needed=found.needed,
        candidates=[
            CandidateOut(
                unit_id=o.candidate.unit_id,
                call_sign=o.candidate.call_sign,
                unit_type=o.candidate.unit_type,
                recommended=o.recommended,
                eta_seconds=o.candidate.eta_seconds,
                distance_m=round(o.candidate.distance_m, 1),
                lat=o.candidate.lat,
                lon=o.candidate.lon,
                position_at=o.candidate.at,
                stale=o.candidate.stale,
                preemptible=o.candidate.preemptible,
                committed_incident_id=o.candidate.committed_incident_id,
                committed_grade=o.candidate.committed_grade,
                matched=o.matched,
                reasons=o.reasons,
            )
            for o in found.offered
        ],
        no_candidate=NoCandidateOut(code=found.no_candidate.code, message=found.no_candidate.message)
        if found.no_candidate
        else None,
        ties=found.ties,
    )


@router.get(
    "/incidents/{incident_id}/recommendation",
    response={200: RecommendationOut, **ERRORS},
    summary="The closest most appropriate units for an incident, with reasons",
)
def recommendation(request: HttpRequest, incident_id: int, preemptible: bool = False) -> RecommendationOut:
    actor = request_actor(request)
    incident = incident_selectors.incident(actor=actor, incident_id=incident_id)
    return _recommendation_out(recommend.recommend(actor=actor, incident=incident, preemptible=preemptible))


class DispatchIn(Schema):
    unit_id: int | None = Field(None, description="Leave out to send the recommended unit(s).")
    reason: str = Field("", description="Why, when sending a unit that is not recommended (goes in the log).")
    preemptible: bool = Field(False, description="Also consider units committed to a lower grade.")
    position: str = Field("", examples=["CW dispatch 3"])


class DispatchOut(Schema):
    assignment_ids: list[int]
    unit_ids: list[int]
    overridden: bool
    recommended: list[str]


@router.post(
    "/incidents/{incident_id}/dispatch",
    response={200: DispatchOut, **WRITE_ERRORS},
    summary="Send the recommended unit(s), or another with a reason",
)
def dispatch(request: HttpRequest, incident_id: int, body: DispatchIn) -> DispatchOut:
    actor = request_actor(request)
    incident = incident_selectors.incident(actor=actor, incident_id=incident_id)
    done = services.dispatch(
        actor=actor,
        incident=incident,
        unit_id=body.unit_id,
        reason=body.reason,
        preemptible=body.preemptible,
        position=body.position,
    )
    return DispatchOut(
        assignment_ids=[a.pk for a in done.assignments],
        unit_ids=[a.unit_id for a in done.assignments],
        overridden=done.overridden,
        recommended=done.recommended,
    )


# Operations ---------------------------------------------------------------------------------


class OperationIn(Schema):
    name: str = Field(..., examples=["Notting Hill Carnival 2026"])
    commander: str = Field(..., examples=["Ch Supt A. Example (Gold)"])
    area: dict[str, Any] = Field(..., description="GeoJSON Polygon/MultiPolygon, Feature or FeatureCollection (WGS84).")
    starts_at: dt.datetime
    ends_at: dt.datetime


class OperationOut(Schema):
    id: int
    name: str
    commander: str
    area: dict[str, Any]
    starts_at: dt.datetime
    ends_at: dt.datetime
    created_by_label: str
    reserved_unit_ids: list[int]
    incident_ids: list[int]

    @staticmethod
    def resolve_reserved_unit_ids(operation: Operation) -> list[int]:
        return list(operation.resources.filter(until_at__isnull=True).values_list("unit_id", flat=True))

    @staticmethod
    def resolve_incident_ids(operation: Operation) -> list[int]:
        return list(operation.incidents.values_list("incident_id", flat=True))


class RunningOut(Schema):
    id: int
    name: str
    commander: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    units: int
    incidents: int
    open_incidents: int


class UnitsIn(Schema):
    unit_ids: list[int]


class LogIn(Schema):
    text: str


class LogOut(Schema):
    id: int
    at: dt.datetime
    by_label: str
    kind: str
    text: str
    data: dict[str, Any]


@router.get("/operations", response={200: list[OperationOut], **ERRORS}, summary="Pre-planned operations")
def list_operations(request: HttpRequest, running_at: dt.datetime | None = None) -> list[Operation]:
    return list(selectors.operations(actor=request_actor(request), running_at=running_at)[:200])


@router.get(
    "/operations/running", response={200: list[RunningOut], **ERRORS}, summary="Operations running now, with counts"
)
def running_operations(request: HttpRequest, at: dt.datetime | None = None) -> list[RunningOut]:
    return [
        RunningOut(
            id=r.operation.pk,
            name=r.operation.name,
            commander=r.operation.commander,
            starts_at=r.operation.starts_at,
            ends_at=r.operation.ends_at,
            units=r.units,
            incidents=r.incidents,
            open_incidents=r.open_incidents,
        )
        for r in selectors.running_operations(actor=request_actor(request), at=at)
    ]


@router.post("/operations", response={201: OperationOut, **WRITE_ERRORS}, summary="Plan an operation")
def create_operation(request: HttpRequest, body: OperationIn) -> Status[Operation]:
    operation = services.create_operation(
        actor=request_actor(request),
        name=body.name,
        commander=body.commander,
        area=body.area,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
    )
    return Status(201, operation)


@router.get("/operations/{operation_id}", response={200: OperationOut, **ERRORS}, summary="One operation")
def get_operation(request: HttpRequest, operation_id: int) -> Operation:
    return selectors.operation(actor=request_actor(request), operation_id=operation_id)


@router.post(
    "/operations/{operation_id}/units", response={200: OperationOut, **WRITE_ERRORS}, summary="Reserve units for it"
)
def reserve_units(request: HttpRequest, operation_id: int, body: UnitsIn) -> Operation:
    actor = request_actor(request)
    operation = selectors.operation(actor=actor, operation_id=operation_id)
    services.reserve_units(actor=actor, operation=operation, unit_ids=body.unit_ids)
    return operation


@router.post(
    "/operations/{operation_id}/units/{unit_id}/release",
    response={200: OperationOut, **WRITE_ERRORS},
    summary="Give a reserved unit back to general dispatch",
)
def release_unit(request: HttpRequest, operation_id: int, unit_id: int) -> Operation:
    actor = request_actor(request)
    operation = selectors.operation(actor=actor, operation_id=operation_id)
    services.release_unit(actor=actor, operation=operation, unit_id=unit_id)
    return operation


@router.post("/operations/{operation_id}/end", response={200: OperationOut, **WRITE_ERRORS}, summary="End it now")
def end_operation(request: HttpRequest, operation_id: int) -> Operation:
    actor = request_actor(request)
    operation = selectors.operation(actor=actor, operation_id=operation_id)
    return services.end_operation(actor=actor, operation=operation)


@router.get("/operations/{operation_id}/log", response={200: list[LogOut], **ERRORS}, summary="The operation's log")
def operation_log(request: HttpRequest, operation_id: int) -> list[OperationLogEntry]:
    operation = selectors.operation(actor=request_actor(request), operation_id=operation_id)
    return list(selectors.operation_log(operation))


@router.post(
    "/operations/{operation_id}/log", response={201: LogOut, **WRITE_ERRORS}, summary="Add to the operation's log"
)
def add_log(request: HttpRequest, operation_id: int, body: LogIn) -> Status[OperationLogEntry]:
    actor = request_actor(request)
    operation = selectors.operation(actor=actor, operation_id=operation_id)
    return Status(201, services.add_operation_log_entry(actor=actor, operation=operation, text=body.text))
