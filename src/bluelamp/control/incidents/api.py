"""Incidents API: a call taken and made an incident at once, incidents with their THRIVE
assessments, grades, lifecycle and log, possible duplicates and today's response times.

Every read goes through the selectors (403 without the permission, 404 for another force's
record); every write through the services. Changes to an incident carry ``expected_version``,
the version the operator was looking at: 409 when someone else changed it meanwhile."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from bluelamp.control.contacts import services as contact_services
from bluelamp.control.contacts.schemas import CallIn
from bluelamp.control.incidents import grading
from bluelamp.control.incidents import log as incident_log
from bluelamp.control.incidents import selectors as incident_selectors
from bluelamp.control.incidents import services as incident_services
from bluelamp.control.incidents.schemas import (
    AssessedOut,
    AssessmentIn,
    BcuDayOut,
    IncidentOut,
    IncidentSummaryOut,
    LogEntryOut,
    LogIn,
    NearbyOut,
    TransitionIn,
)
from bluelamp.control.models import THRIVE_DIMENSIONS, Incident, IncidentLogEntry
from bluelamp.core.access import request_actor
from bluelamp.core.errors import InvalidInput
from bluelamp.core.schemas import ERRORS, WRITE_ERRORS

router = Router()


@router.post(
    "/incidents",
    response={200: IncidentOut, 201: IncidentOut, **WRITE_ERRORS},
    summary="Take a contact and make it an incident at once",
    description="One transaction: the contact (as `POST /contacts`) and the incident made from it (as "
    "`POST /contacts/{id}/incident`). 201 with the new incident; 200 with the one made before when "
    "`source_reference` was sent before on the same channel. Possible duplicates are not offered first: "
    "see `GET /incidents/{id}/duplicates`. Needs `control.add_contact` and `control.add_incident`.",
    operation_id="bluelamp_control_api_create_incident_from_call",
)
def create_incident_from_call(request: HttpRequest, body: CallIn) -> Status[Incident]:
    actor = request_actor(request)
    made = contact_services.create_incident_from_call(
        actor=actor, contact=contact_services.NewContact(**body.dict(exclude={"position"})), position=body.position
    )
    return Status(201 if made.created else 200, made.incident)  # as made: nothing read back


# Incidents --------------------------------------------------------------------------------


@router.get(
    "/incidents",
    response={200: list[IncidentSummaryOut], **ERRORS},
    summary="The incident queue",
    description="Open incidents of your force, unresourced first, then oldest first. Filter by "
    "`bcu` (code), `grade` (I, S, E, R) and `status` (a closed status shows closed incidents).",
    operation_id="bluelamp_control_api_list_incidents",
)
@paginate
def list_incidents(request: HttpRequest, bcu: str = "", grade: str = "", status: str = "") -> Any:
    if status and status not in Incident.Status.values:
        raise InvalidInput(f"{status!r} is not a status: use one of {', '.join(Incident.Status.values)}.")
    return incident_selectors.incidents(actor=request_actor(request), bcu_code=bcu, grade=grade, status=status)


@router.get(
    "/incidents/{incident_id}",
    response={200: IncidentOut, **ERRORS},
    summary="One incident with its THRIVE versions, log and response time",
    operation_id="bluelamp_control_api_get_incident",
)
def get_incident(request: HttpRequest, incident_id: int) -> Incident:
    return incident_selectors.consult_incident(actor=request_actor(request), incident_id=incident_id, via="API")


@router.post(
    "/incidents/{incident_id}/assessments",
    response={201: AssessedOut, **WRITE_ERRORS},
    summary="Assess (THRIVE) and grade",
    description="Records a new THRIVE version; the rules in control/data/grading_rules.json suggest "
    "a grade. Choosing another grade needs `override_reason`. Needs `control.grade_incident`.",
    operation_id="bluelamp_control_api_assess",
)
def assess(request: HttpRequest, incident_id: int, body: AssessmentIn) -> Status[grading.Assessed]:
    actor = request_actor(request)
    found = incident_selectors.incident(actor=actor, incident_id=incident_id)
    parts = {dimension: getattr(body, dimension) for dimension in THRIVE_DIMENSIONS}
    assessed = grading.assess_incident(
        actor=actor,
        incident=found,
        levels={dimension: part.level for dimension, part in parts.items()},
        notes={dimension: part.note for dimension, part in parts.items()},
        grade=body.grade,
        override_reason=body.override_reason,
        expected_version=body.expected_version,
        position=body.position,
    )
    return Status(201, assessed)


@router.post(
    "/incidents/{incident_id}/log",
    response={201: LogEntryOut, **WRITE_ERRORS},
    summary="Add a log entry (or a correction of an earlier one)",
    operation_id="bluelamp_control_api_add_log_entry",
)
def add_log_entry(request: HttpRequest, incident_id: int, body: LogIn) -> Status[IncidentLogEntry]:
    actor = request_actor(request)
    found = incident_selectors.incident(actor=actor, incident_id=incident_id)
    corrected = None
    if body.corrects is not None:
        corrected = incident_selectors.log(found).filter(pk=body.corrects).first()
        if corrected is None:
            raise InvalidInput(f"Entry {body.corrects} is not in {found.reference}'s log.")
    entry = incident_log.add_log_entry(
        actor=actor, incident=found, text=body.text, position=body.position, corrects=corrected
    )
    return Status(201, entry)


@router.post(
    "/incidents/{incident_id}/transition",
    response={200: IncidentOut, **WRITE_ERRORS},
    summary="Move along the lifecycle: open → resourced → at_scene → closed; reopen",
    description="Closing needs `closing_category` and `closing_result` (and `control.close_incident`). "
    "Send `expected_version`: 409 when someone else changed the incident meanwhile.",
    operation_id="bluelamp_control_api_transition",
)
def transition(request: HttpRequest, incident_id: int, body: TransitionIn) -> Incident:
    actor = request_actor(request)
    found = incident_selectors.incident(actor=actor, incident_id=incident_id)
    incident_services.transition_incident(actor=actor, incident=found, **body.dict())
    return incident_selectors.incident(actor=actor, incident_id=incident_id)


@router.get(
    "/incidents/{incident_id}/duplicates",
    response={200: list[NearbyOut], **ERRORS},
    summary="Other open incidents near this one in place and time",
    operation_id="bluelamp_control_api_incident_duplicates",
)
def incident_duplicates(
    request: HttpRequest, incident_id: int, radius_metres: float | None = None, window_minutes: int | None = None
) -> list[incident_selectors.Nearby]:
    actor = request_actor(request)
    found = incident_selectors.incident(actor=actor, incident_id=incident_id)
    return incident_selectors.open_incidents_near(
        actor=actor,
        lat=found.lat,
        lon=found.lon,
        cell=found.h3_cell,
        at=found.created_at,
        radius_metres=radius_metres,
        window_minutes=window_minutes,
        exclude_id=found.pk,
    )


@router.get(
    "/response-times/today",
    response={200: list[BcuDayOut], **ERRORS},
    summary="Today's response times per BCU",
    description="Incidents created today (Europe/London) per BCU: counts by grade, targets met and "
    "missed (against the target in force when each was created) and the percentage within target.",
    operation_id="bluelamp_control_api_response_times_today",
)
def response_times_today(request: HttpRequest) -> list[BcuDayOut]:
    return [
        BcuDayOut(
            bcu_code=row.bcu_code,
            bcu_name=row.bcu_name,
            by_grade=row.by_grade,
            met=row.met,
            missed=row.missed,
            pending=row.pending,
            percent_within_target=row.percent_within_target,
        )
        for row in incident_selectors.response_summary(actor=request_actor(request))
    ]
