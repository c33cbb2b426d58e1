"""Resources API: the unit board, one unit, its status, assignments to incidents, urgent
assistance and due timers. Reads go through the selectors, writes through the services."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from bluelamp.control.incidents import selectors as incident_selectors
from bluelamp.control.models import Assignment, UrgentAssistance
from bluelamp.control.units import assignments as unit_assignments
from bluelamp.control.units import selectors as unit_selectors
from bluelamp.control.units import services as unit_services
from bluelamp.control.units import urgent as urgent_services
from bluelamp.control.units.schemas import (
    AdvanceIn,
    AssignIn,
    AssignmentOut,
    PositionIn,
    TimerOut,
    UnitDetailOut,
    UnitOut,
    UnitStatusIn,
    UrgentAssistanceOut,
    unit_detail_out,
)
from bluelamp.core.access import request_actor
from bluelamp.core.schemas import ERRORS, WRITE_ERRORS

router = Router()


@router.get(
    "/units",
    response={200: list[UnitOut], **ERRORS},
    summary="The resource board",
    description="Your force's units by call sign. Filter by home `bcu` (code) and status `base_type` "
    "(available, assigned, en_route, at_scene, returning, unavailable, off_duty). Needs `control.view_resource`.",
    operation_id="bluelamp_control_api_list_units",
)
@paginate
def list_units(request: HttpRequest, bcu: str = "", base_type: str = "") -> Any:
    return unit_selectors.units(actor=request_actor(request), bcu_code=bcu, base_type=base_type)


@router.get(
    "/units/{unit_id}",
    response={200: UnitDetailOut, **ERRORS},
    summary="One unit with its crew, their current authorisations, assignment and status history",
    operation_id="bluelamp_control_api_get_unit",
)
def get_unit(request: HttpRequest, unit_id: int) -> UnitDetailOut:
    return unit_detail_out(unit_selectors.unit_detail(actor=request_actor(request), unit_id=unit_id))


@router.post(
    "/units/{unit_id}/status",
    response={200: UnitDetailOut, **WRITE_ERRORS},
    summary="Set a unit's status (book on, refreshments, off duty…)",
    description="Needs `control.set_resource_status`, or `control.set_own_resource_status` for the unit "
    "you crew. Send `expected_version`: 409 when someone else changed the unit meanwhile.",
    operation_id="bluelamp_control_api_set_unit_status",
)
def set_unit_status(request: HttpRequest, unit_id: int, body: UnitStatusIn) -> UnitDetailOut:
    actor = request_actor(request)
    found = unit_selectors.unit(actor=actor, unit_id=unit_id)
    unit_services.set_unit_status(
        actor=actor, unit=found, status_code=body.status, expected_version=body.expected_version, position=body.position
    )
    return unit_detail_out(unit_selectors.unit_detail(actor=actor, unit_id=unit_id))


@router.post(
    "/incidents/{incident_id}/assignments",
    response={201: AssignmentOut, **WRITE_ERRORS},
    summary="Assign a unit to an incident",
    description="Refused with 409 and the reason when the unit is off duty or unavailable, its crew "
    "lacks an authorisation its type needs, or it is committed elsewhere (unless `reassign`). The first "
    "unit moves an open incident to resourced. Needs `control.dispatch_resource`.",
    operation_id="bluelamp_control_api_assign_unit",
)
def assign_unit(request: HttpRequest, incident_id: int, body: AssignIn) -> Status[Assignment]:
    actor = request_actor(request)
    found = incident_selectors.incident(actor=actor, incident_id=incident_id)
    sent = unit_selectors.unit(actor=actor, unit_id=body.unit_id)
    made = unit_assignments.assign_unit(
        actor=actor,
        incident=found,
        unit=sent,
        reassign=body.reassign,
        expected_version=body.expected_version,
        position=body.position,
    )
    return Status(201, made)


@router.post(
    "/assignments/{assignment_id}/advance",
    response={200: AssignmentOut, **WRITE_ERRORS},
    summary="Move an assignment on: en_route → at_scene → cleared",
    description="At scene is the incident's arrival (its response time). Needs `control.dispatch_resource`.",
    operation_id="bluelamp_control_api_advance_assignment",
)
def advance_assignment(request: HttpRequest, assignment_id: int, body: AdvanceIn) -> Assignment:
    actor = request_actor(request)
    found = unit_selectors.assignment(actor=actor, assignment_id=assignment_id)
    return unit_assignments.advance_assignment(actor=actor, assignment=found, to_state=body.to, position=body.position)


@router.post(
    "/units/{unit_id}/urgent-assistance",
    response={200: UrgentAssistanceOut, 201: UrgentAssistanceOut, **WRITE_ERRORS},
    summary="Raise urgent assistance for a unit",
    description="201 with the new alert, 200 with the open one if it was already raised. It stays on "
    "every control-room screen of the unit's BCU until acknowledged.",
    operation_id="bluelamp_control_api_raise_urgent_assistance",
)
def raise_urgent_assistance(request: HttpRequest, unit_id: int, body: PositionIn) -> Status[UrgentAssistance]:
    actor = request_actor(request)
    found = unit_selectors.unit(actor=actor, unit_id=unit_id)
    raised = urgent_services.raise_urgent_assistance(actor=actor, unit=found, position=body.position)
    return Status(201 if raised.created else 200, raised.alert)


@router.post(
    "/urgent-assistance/{alert_id}/acknowledge",
    response={200: UrgentAssistanceOut, **WRITE_ERRORS},
    summary="Acknowledge an urgent assistance alert",
    operation_id="bluelamp_control_api_acknowledge_urgent_assistance",
)
def acknowledge_urgent_assistance(request: HttpRequest, alert_id: int, body: PositionIn) -> UrgentAssistance:
    actor = request_actor(request)
    found = unit_selectors.urgent_assistance(actor=actor, alert_id=alert_id)
    return urgent_services.acknowledge_urgent_assistance(actor=actor, alert=found, position=body.position)


@router.get(
    "/urgent-assistance",
    response={200: list[UrgentAssistanceOut], **ERRORS},
    summary="Open urgent assistance alerts (optionally for one BCU)",
    operation_id="bluelamp_control_api_open_urgent_assistance",
)
def open_urgent_assistance(request: HttpRequest, bcu: str = "") -> list[UrgentAssistance]:
    return list(unit_selectors.open_urgent_assistance(actor=request_actor(request), bcu_code=bcu))


@router.get(
    "/timers",
    response={200: list[TimerOut], **ERRORS},
    summary="Status timers that have run out",
    description="Units whose status has lasted past a rule in control/data/status_timers.json, e.g. "
    "'at scene 45 min — check on welfare'; longest first.",
    operation_id="bluelamp_control_api_timers",
)
def timers(request: HttpRequest, bcu: str = "") -> list[unit_selectors.DueTimer]:
    return unit_selectors.due_timers(actor=request_actor(request), bcu_code=bcu)
