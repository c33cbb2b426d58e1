"""Command and Control API: contacts from every channel (calls, online reports, ANPR, alarms),
incidents with their THRIVE assessments, grades, lifecycle and log, possible duplicates and
today's response times.

Every read goes through the selectors (403 without the permission, 404 for another force's
record); every write through the services. Changes to an incident carry ``expected_version``,
the version the operator was looking at: 409 when someone else changed it meanwhile."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from bluelamp.control import resource_selectors, resources, selectors, services
from bluelamp.control.models import (
    THRIVE_DIMENSIONS,
    Assignment,
    Contact,
    Incident,
    IncidentLogEntry,
    Resource,
    ThriveAssessment,
    UrgentAssistance,
)
from bluelamp.core.access import request_actor
from bluelamp.core.errors import InvalidInput
from bluelamp.core.schemas import ERRORS, WRITE_ERRORS

router = Router()


# Schemas ----------------------------------------------------------------------------------


class LocationIn(Schema):
    address: str = Field("", examples=["12 Whitehall, London SW1A 2DD"])
    lat: float | None = Field(None, examples=[51.5045])
    lon: float | None = Field(None, examples=[-0.1265])


class ContactIn(LocationIn):
    channel: str = Field(..., examples=["999"], description="999, 101, online, anpr or alarm")
    received_at: dt.datetime | None = Field(None, description="When the contact came in (default now).")
    caller_name: str = Field("", examples=["Sam Caller"])
    caller_phone: str = Field("", examples=["07700 900123"])
    description: str = Field("", examples=["Two men fighting outside the pub, one has a bottle"])
    category: str = Field("", examples=["crime.violence"], description="NSIR code from control/data/nsir.json")
    qualifiers: list[str] = Field(default_factory=list, examples=[["alcohol"]])
    details: dict[str, Any] = Field(default_factory=dict, description="Everything the channel sent, kept as sent.")
    source_reference: str = Field(
        "", examples=["SOH-2026-000123"], description="The sender's reference: sending it again gives the same contact."
    )


class AnprIn(LocationIn):
    plate: str = Field(..., examples=["AB12CDE"])
    camera: str = Field(..., examples=["CAM-A40-0117"])
    seen_at: dt.datetime = Field(..., examples=["2026-11-22T03:14:00Z"])
    hotlist: str = Field(..., examples=["PNC stolen"])
    reason: str = Field(..., examples=["Reported stolen 21/11"])
    read_id: str = Field("", description="The ANPR system's id for the read, so a repeat gives the same contact.")


class AlarmIn(LocationIn):
    alarm_id: str = Field(..., examples=["URN-0042-7781"])
    premises: str = Field(..., examples=["Jewellers, 4 Burlington Arcade"])
    alarm_type: str = Field(..., examples=["intruder"], description="e.g. intruder, personal attack, hold-up")
    activated_at: dt.datetime = Field(..., examples=["2026-11-22T02:05:00Z"])
    event_id: str = Field("", description="The alarm receiving centre's event id, for repeats.")


class ContactOut(Schema):
    id: int
    channel: str
    received_at: dt.datetime
    received_by: str
    caller_name: str
    caller_phone: str
    address: str
    lat: float | None
    lon: float | None
    borough: str | None
    bcu: str | None
    h3_cell: str
    description: str
    category: str
    qualifiers: list[str]
    details: dict[str, Any]
    source_reference: str
    outcome: str
    resolution_code: str
    resolution_note: str
    incident_id: int | None
    incident_reference: str | None

    @staticmethod
    def resolve_borough(contact: Contact) -> str | None:
        return contact.borough.name if contact.borough else None

    @staticmethod
    def resolve_bcu(contact: Contact) -> str | None:
        return contact.bcu.code if contact.bcu else None

    @staticmethod
    def resolve_incident_reference(contact: Contact) -> str | None:
        return contact.incident.reference if contact.incident else None


class ResolveIn(Schema):
    resolution_code: str = Field(..., examples=["advice"], description="From control/data/contacts.json")
    note: str = Field("", examples=["Advised to contact the landlord; crime reference not needed"])


class LinkIn(Schema):
    incident_id: int
    position: str = Field("", examples=["CW call handling 7"])


class NewIncidentIn(Schema):
    category: str = Field("", description="NSIR opening category; default the contact's.")
    qualifiers: list[str] | None = None
    position: str = Field("", examples=["CW call handling 7"])


class IncidentSummaryOut(Schema):
    id: int
    reference: str
    created_at: dt.datetime
    status: str
    grade: str
    opening_category: str
    address: str
    bcu: str | None
    version: int

    @staticmethod
    def resolve_bcu(incident: Incident) -> str | None:
        return incident.bcu.code if incident.bcu else None


class ThriveOut(Schema):
    number: int
    at: dt.datetime
    assessed_by: str = Field(..., alias="assessed_by_label")
    threat: str
    threat_note: str
    harm: str
    harm_note: str
    risk: str
    risk_note: str
    investigation: str
    investigation_note: str
    vulnerability: str
    vulnerability_note: str
    engagement: str
    engagement_note: str
    suggested_grade: str
    suggestion_reason: str
    grade: str
    override_reason: str


class LogEntryOut(Schema):
    id: int
    at: dt.datetime
    operator: str = Field(..., alias="operator_label")
    position: str
    kind: str
    text: str
    data: dict[str, Any]
    corrects_id: int | None
    entry_hash: str


class ResponseTimeOut(Schema):
    grade: str
    target_minutes: int | None
    attended_after_seconds: int | None
    time_left_seconds: int | None
    met: bool | None


class IncidentOut(IncidentSummaryOut):
    lat: float | None
    lon: float | None
    borough: str | None
    h3_cell: str
    description: str
    opening_qualifiers: list[str]
    details: dict[str, Any]
    resourced_at: dt.datetime | None
    first_arrived_at: dt.datetime | None
    closed_at: dt.datetime | None
    closing_category: str
    closing_qualifiers: list[str]
    closing_result: str
    contact_ids: list[int]
    response_time: ResponseTimeOut
    assessments: list[ThriveOut]
    log: list[LogEntryOut]

    @staticmethod
    def resolve_borough(incident: Incident) -> str | None:
        return incident.borough.name if incident.borough else None

    @staticmethod
    def resolve_contact_ids(incident: Incident) -> list[int]:
        return sorted(contact.pk for contact in incident.contacts.all())

    @staticmethod
    def resolve_response_time(incident: Incident) -> ResponseTimeOut:
        measured = selectors.response_time(incident)
        return ResponseTimeOut(
            grade=measured.grade,
            target_minutes=measured.target_minutes,
            attended_after_seconds=_seconds(measured.attended_after),
            time_left_seconds=_seconds(measured.time_left),
            met=measured.met,
        )

    @staticmethod
    def resolve_assessments(incident: Incident) -> list[ThriveAssessment]:
        return list(selectors.assessments(incident))

    @staticmethod
    def resolve_log(incident: Incident) -> list[IncidentLogEntry]:
        return list(selectors.log(incident))


def _seconds(delta: dt.timedelta | None) -> int | None:
    return None if delta is None else int(delta.total_seconds())


class LevelIn(Schema):
    level: str = Field(..., examples=["high"], description="none, low, medium or high")
    note: str = Field("", examples=["Suspect still present with a bottle"])


class AssessmentIn(Schema):
    threat: LevelIn
    harm: LevelIn
    risk: LevelIn
    investigation: LevelIn
    vulnerability: LevelIn
    engagement: LevelIn
    grade: str | None = Field(None, description="Leave out to take the suggested grade.", examples=["S"])
    override_reason: str = Field("", description="Required when the grade differs from the suggestion.")
    expected_version: int | None = Field(None, examples=[1])
    position: str = Field("", examples=["CW call handling 7"])


class AssessedOut(Schema):
    incident: IncidentSummaryOut
    assessment: ThriveOut


class LogIn(Schema):
    text: str = Field(..., examples=["Caller rang back: suspects left towards Trafalgar Square"])
    corrects: int | None = Field(None, description="The id of the entry this one corrects.")
    position: str = Field("", examples=["CW dispatch 3"])


class TransitionIn(Schema):
    to: str = Field(..., examples=["closed"], description="open, resourced, at_scene or closed")
    expected_version: int | None = Field(None, examples=[3])
    note: str = ""
    closing_category: str = Field("", examples=["crime.violence"])
    closing_qualifiers: list[str] = Field(default_factory=list)
    closing_result: str = Field("", examples=["Suspect arrested; crime report 01/123456/26"])
    position: str = Field("", examples=["CW dispatch 3"])


class NearbyOut(Schema):
    incident: IncidentSummaryOut
    metres: float
    minutes_apart: float


class BcuDayOut(Schema):
    bcu_code: str
    bcu_name: str
    by_grade: dict[str, int]
    met: int
    missed: int
    pending: int
    percent_within_target: float | None


# Contacts ---------------------------------------------------------------------------------


def _received(request: HttpRequest, **fields: Any) -> Status[Contact]:
    received = services.receive_contact(actor=request_actor(request), **fields)
    return Status(201 if received.created else 200, received.contact)


@router.post(
    "/contacts",
    response={200: ContactOut, 201: ContactOut, **WRITE_ERRORS},
    summary="Take a contact (999, 101, online report or any channel)",
    description="201 with the new contact; 200 with the existing one when `source_reference` was "
    "delivered before on the same channel. Needs `control.add_contact`.",
)
def create_contact(request: HttpRequest, body: ContactIn) -> Status[Contact]:
    return _received(request, **body.dict())


@router.post(
    "/anpr",
    response={200: ContactOut, 201: ContactOut, **WRITE_ERRORS},
    summary="An ANPR hit",
    description="Plate, camera, time, hotlist and reason become an `anpr` contact; `read_id` makes repeats safe.",
)
def anpr_hit(request: HttpRequest, body: AnprIn) -> Status[Contact]:
    details = {"plate": body.plate.upper().replace(" ", ""), "camera": body.camera, "seen_at": body.seen_at,
               "hotlist": body.hotlist, "reason": body.reason}  # fmt: skip
    return _received(
        request,
        channel=Contact.Channel.ANPR,
        received_at=body.seen_at,
        address=body.address,
        lat=body.lat,
        lon=body.lon,
        description=f"ANPR hit: {details['plate']} on {body.hotlist} ({body.reason}) at camera {body.camera}",
        category="transport.anpr_hit",
        details=details,
        source_reference=body.read_id,
    )


@router.post(
    "/alarms",
    response={200: ContactOut, 201: ContactOut, **WRITE_ERRORS},
    summary="An alarm activation",
    description="Alarm id, premises and type become an `alarm` contact; `event_id` makes repeats safe.",
)
def alarm(request: HttpRequest, body: AlarmIn) -> Status[Contact]:
    details = {"alarm_id": body.alarm_id, "premises": body.premises, "alarm_type": body.alarm_type,
               "activated_at": body.activated_at}  # fmt: skip
    return _received(
        request,
        channel=Contact.Channel.ALARM,
        received_at=body.activated_at,
        address=body.address or body.premises,
        lat=body.lat,
        lon=body.lon,
        description=f"{body.alarm_type.capitalize()} alarm at {body.premises} (alarm {body.alarm_id})",
        category="public_safety.alarm",
        details=details,
        source_reference=body.event_id,
    )


@router.get("/contacts/{contact_id}", response={200: ContactOut, **ERRORS}, summary="One contact")
def get_contact(request: HttpRequest, contact_id: int) -> Contact:
    return selectors.consult_contact(actor=request_actor(request), contact_id=contact_id, via="API")


@router.post(
    "/contacts/{contact_id}/resolve",
    response={200: ContactOut, **WRITE_ERRORS},
    summary="Resolve a contact without an incident (advice, signposting, referral)",
)
def resolve_contact(request: HttpRequest, contact_id: int, body: ResolveIn) -> Contact:
    actor = request_actor(request)
    found = selectors.contact(actor=actor, contact_id=contact_id)
    return services.resolve_contact(actor=actor, contact=found, resolution_code=body.resolution_code, note=body.note)


@router.post(
    "/contacts/{contact_id}/link",
    response={200: ContactOut, **WRITE_ERRORS},
    summary="Link a contact to an open incident (its details go into the incident's log)",
)
def link_contact(request: HttpRequest, contact_id: int, body: LinkIn) -> Contact:
    actor = request_actor(request)
    found = selectors.contact(actor=actor, contact_id=contact_id)
    target = selectors.incident(actor=actor, incident_id=body.incident_id)
    return services.link_contact(actor=actor, contact=found, incident=target, position=body.position)


@router.post(
    "/contacts/{contact_id}/incident",
    response={201: IncidentOut, **WRITE_ERRORS},
    summary="Make an incident from a contact, copying everything it holds",
)
def create_incident(request: HttpRequest, contact_id: int, body: NewIncidentIn) -> Status[Incident]:
    actor = request_actor(request)
    found = selectors.contact(actor=actor, contact_id=contact_id)
    incident = services.create_incident_from_contact(
        actor=actor, contact=found, category=body.category, qualifiers=body.qualifiers, position=body.position
    )
    return Status(201, incident)  # as made, all it holds known: not read back


class CallIn(ContactIn):
    category: str = Field(..., examples=["crime.violence"], description="NSIR opening category (nsir.json)")
    position: str = Field("", examples=["CW call handling 7"])


@router.post(
    "/incidents",
    response={200: IncidentOut, 201: IncidentOut, **WRITE_ERRORS},
    summary="Take a contact and make it an incident at once",
    description="One transaction: the contact (as `POST /contacts`) and the incident made from it (as "
    "`POST /contacts/{id}/incident`). 201 with the new incident; 200 with the one made before when "
    "`source_reference` was sent before on the same channel. Possible duplicates are not offered first: "
    "see `GET /incidents/{id}/duplicates`. Needs `control.add_contact` and `control.add_incident`.",
)
def create_incident_from_call(request: HttpRequest, body: CallIn) -> Status[Incident]:
    actor = request_actor(request)
    made = services.create_incident_from_call(actor=actor, **body.dict())
    return Status(201 if made.created else 200, made.incident)  # as made: nothing read back


@router.get(
    "/contacts/{contact_id}/duplicates",
    response={200: list[NearbyOut], **ERRORS},
    summary="Open incidents this contact may be about",
    description="Open incidents within `radius_metres` and `window_minutes` of the contact "
    "(defaults from control/data/contacts.json: 200 m, 60 min), nearest first.",
)
def contact_duplicates(
    request: HttpRequest, contact_id: int, radius_metres: float | None = None, window_minutes: int | None = None
) -> list[selectors.Nearby]:
    actor = request_actor(request)
    found = selectors.contact(actor=actor, contact_id=contact_id)
    return selectors.possible_duplicates(
        actor=actor, contact=found, radius_metres=radius_metres, window_minutes=window_minutes
    )


# Incidents --------------------------------------------------------------------------------


@router.get(
    "/incidents",
    response={200: list[IncidentSummaryOut], **ERRORS},
    summary="The incident queue",
    description="Open incidents of your force, unresourced first, then oldest first. Filter by "
    "`bcu` (code), `grade` (I, S, E, R) and `status` (a closed status shows closed incidents).",
)
@paginate
def list_incidents(request: HttpRequest, bcu: str = "", grade: str = "", status: str = "") -> Any:
    if status and status not in Incident.Status.values:
        raise InvalidInput(f"{status!r} is not a status: use one of {', '.join(Incident.Status.values)}.")
    return selectors.incidents(actor=request_actor(request), bcu_code=bcu, grade=grade, status=status)


@router.get(
    "/incidents/{incident_id}",
    response={200: IncidentOut, **ERRORS},
    summary="One incident with its THRIVE versions, log and response time",
)
def get_incident(request: HttpRequest, incident_id: int) -> Incident:
    return selectors.consult_incident(actor=request_actor(request), incident_id=incident_id, via="API")


@router.post(
    "/incidents/{incident_id}/assessments",
    response={201: AssessedOut, **WRITE_ERRORS},
    summary="Assess (THRIVE) and grade",
    description="Records a new THRIVE version; the rules in control/data/grading_rules.json suggest "
    "a grade. Choosing another grade needs `override_reason`. Needs `control.grade_incident`.",
)
def assess(request: HttpRequest, incident_id: int, body: AssessmentIn) -> Status[services.Assessed]:
    actor = request_actor(request)
    found = selectors.incident(actor=actor, incident_id=incident_id)
    parts = {dimension: getattr(body, dimension) for dimension in THRIVE_DIMENSIONS}
    assessed = services.assess_incident(
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
)
def add_log_entry(request: HttpRequest, incident_id: int, body: LogIn) -> Status[IncidentLogEntry]:
    actor = request_actor(request)
    found = selectors.incident(actor=actor, incident_id=incident_id)
    corrected = None
    if body.corrects is not None:
        corrected = selectors.log(found).filter(pk=body.corrects).first()
        if corrected is None:
            raise InvalidInput(f"Entry {body.corrects} is not in {found.reference}'s log.")
    entry = services.add_log_entry(
        actor=actor, incident=found, text=body.text, position=body.position, corrects=corrected
    )
    return Status(201, entry)


@router.post(
    "/incidents/{incident_id}/transition",
    response={200: IncidentOut, **WRITE_ERRORS},
    summary="Move along the lifecycle: open → resourced → at_scene → closed; reopen",
    description="Closing needs `closing_category` and `closing_result` (and `control.close_incident`). "
    "Send `expected_version`: 409 when someone else changed the incident meanwhile.",
)
def transition(request: HttpRequest, incident_id: int, body: TransitionIn) -> Incident:
    actor = request_actor(request)
    found = selectors.incident(actor=actor, incident_id=incident_id)
    services.transition_incident(actor=actor, incident=found, **body.dict())
    return selectors.incident(actor=actor, incident_id=incident_id)


@router.get(
    "/incidents/{incident_id}/duplicates",
    response={200: list[NearbyOut], **ERRORS},
    summary="Other open incidents near this one in place and time",
)
def incident_duplicates(
    request: HttpRequest, incident_id: int, radius_metres: float | None = None, window_minutes: int | None = None
) -> list[selectors.Nearby]:
    actor = request_actor(request)
    found = selectors.incident(actor=actor, incident_id=incident_id)
    return selectors.open_incidents_near(
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
        for row in selectors.response_summary(actor=request_actor(request))
    ]


# Resources (units) ------------------------------------------------------------------------


class UnitStatusOut(Schema):
    code: str
    label: str
    base_type: str


class UnitFields(Schema):
    id: int
    call_sign: str
    unit_type: str
    home_bcu: str | None
    equipment: list[str]
    status: UnitStatusOut
    status_since: dt.datetime
    version: int


class UnitOut(UnitFields):
    @staticmethod
    def resolve_unit_type(unit: Resource) -> str:
        return unit.unit_type.code

    @staticmethod
    def resolve_home_bcu(unit: Resource) -> str | None:
        return unit.home_bcu.code if unit.home_bcu else None


class AuthorisationOut(Schema):
    skill: str
    name: str
    valid_from: dt.date
    valid_until: dt.date | None


class CrewOut(Schema):
    person_id: int
    name: str
    rank_or_grade: str
    on_since: dt.datetime
    authorisations: list[AuthorisationOut]


class AssignmentOut(Schema):
    id: int
    incident_id: int
    incident_reference: str
    unit_id: int
    call_sign: str
    state: str
    assigned_at: dt.datetime
    en_route_at: dt.datetime | None
    at_scene_at: dt.datetime | None
    cleared_at: dt.datetime | None
    assigned_by: str = Field(..., alias="assigned_by_label")

    @staticmethod
    def resolve_incident_reference(assignment: Assignment) -> str:
        return assignment.incident.reference

    @staticmethod
    def resolve_call_sign(assignment: Assignment) -> str:
        return assignment.unit.call_sign


class StatusChangeOut(Schema):
    at: dt.datetime
    from_status: str | None
    to_status: str
    by: str
    incident_id: int | None


class UnitDetailOut(UnitFields):
    crew: list[CrewOut]
    assignment: AssignmentOut | None
    history: list[StatusChangeOut]


class UnitStatusIn(Schema):
    status: str = Field(..., examples=["REF"], description="One of your force's status codes.")
    expected_version: int | None = Field(None, examples=[4])
    position: str = Field("", examples=["CW dispatch 3"])


class AssignIn(Schema):
    unit_id: int
    reassign: bool = Field(False, description="Take the unit off the incident it is committed to.")
    expected_version: int | None = Field(None, description="The incident's version.")
    position: str = Field("", examples=["CW dispatch 3"])


class AdvanceIn(Schema):
    to: str = Field(..., examples=["at_scene"], description="en_route, at_scene or cleared")
    position: str = Field("", examples=["CW dispatch 3"])


class PositionIn(Schema):
    position: str = Field("", examples=["CW dispatch 3"])


class UrgentAssistanceOut(Schema):
    id: int
    unit_id: int
    call_sign: str
    bcu: str | None
    incident_id: int | None
    raised_at: dt.datetime
    raised_by: str = Field(..., alias="raised_by_label")
    acknowledged_at: dt.datetime | None
    acknowledged_by: str = Field(..., alias="acknowledged_by_label")

    @staticmethod
    def resolve_call_sign(alert: UrgentAssistance) -> str:
        return alert.unit.call_sign

    @staticmethod
    def resolve_bcu(alert: UrgentAssistance) -> str | None:
        return alert.bcu.code if alert.bcu else None


class TimerOut(Schema):
    unit: UnitOut
    base_type: str
    minutes: int
    elapsed_minutes: int
    prompt: str

    @staticmethod
    def resolve_base_type(due: resource_selectors.DueTimer) -> str:
        return due.timer.base_type

    @staticmethod
    def resolve_minutes(due: resource_selectors.DueTimer) -> int:
        return due.timer.minutes

    @staticmethod
    def resolve_elapsed_minutes(due: resource_selectors.DueTimer) -> int:
        return int(due.elapsed.total_seconds() // 60)


def _detail(detail: resource_selectors.UnitDetail) -> UnitDetailOut:
    found = detail.unit
    return UnitDetailOut(
        id=found.pk,
        call_sign=found.call_sign,
        unit_type=found.unit_type.code,
        home_bcu=found.home_bcu.code if found.home_bcu else None,
        equipment=found.equipment,
        status=UnitStatusOut(code=found.status.code, label=found.status.label, base_type=found.status.base_type),
        status_since=found.status_since,
        version=found.version,
        crew=[
            CrewOut(
                person_id=line.person.pk,
                name=line.person.full_name,
                rank_or_grade=line.person.rank_or_grade,
                on_since=line.member.from_at,
                authorisations=[
                    AuthorisationOut(
                        skill=a.skill.code, name=a.skill.name, valid_from=a.valid_from, valid_until=a.valid_until
                    )
                    for a in line.authorisations
                ],
            )
            for line in detail.crew
        ],
        assignment=AssignmentOut.from_orm(detail.assignment) if detail.assignment else None,
        history=[
            StatusChangeOut(
                at=change.at,
                from_status=change.from_status.code if change.from_status else None,
                to_status=change.to_status.code,
                by=change.by_label,
                incident_id=change.incident_id,
            )
            for change in detail.history
        ],
    )


@router.get(
    "/units",
    response={200: list[UnitOut], **ERRORS},
    summary="The resource board",
    description="Your force's units by call sign. Filter by home `bcu` (code) and status `base_type` "
    "(available, assigned, en_route, at_scene, returning, unavailable, off_duty). Needs `control.view_resource`.",
)
@paginate
def list_units(request: HttpRequest, bcu: str = "", base_type: str = "") -> Any:
    return resource_selectors.units(actor=request_actor(request), bcu_code=bcu, base_type=base_type)


@router.get(
    "/units/{unit_id}",
    response={200: UnitDetailOut, **ERRORS},
    summary="One unit with its crew, their current authorisations, assignment and status history",
)
def get_unit(request: HttpRequest, unit_id: int) -> UnitDetailOut:
    return _detail(resource_selectors.unit_detail(actor=request_actor(request), unit_id=unit_id))


@router.post(
    "/units/{unit_id}/status",
    response={200: UnitDetailOut, **WRITE_ERRORS},
    summary="Set a unit's status (book on, refreshments, off duty…)",
    description="Needs `control.set_resource_status`, or `control.set_own_resource_status` for the unit "
    "you crew. Send `expected_version`: 409 when someone else changed the unit meanwhile.",
)
def set_unit_status(request: HttpRequest, unit_id: int, body: UnitStatusIn) -> UnitDetailOut:
    actor = request_actor(request)
    found = resource_selectors.unit(actor=actor, unit_id=unit_id)
    resources.set_unit_status(
        actor=actor, unit=found, status_code=body.status, expected_version=body.expected_version, position=body.position
    )
    return _detail(resource_selectors.unit_detail(actor=actor, unit_id=unit_id))


@router.post(
    "/incidents/{incident_id}/assignments",
    response={201: AssignmentOut, **WRITE_ERRORS},
    summary="Assign a unit to an incident",
    description="Refused with 409 and the reason when the unit is off duty or unavailable, its crew "
    "lacks an authorisation its type needs, or it is committed elsewhere (unless `reassign`). The first "
    "unit moves an open incident to resourced. Needs `control.dispatch_resource`.",
)
def assign_unit(request: HttpRequest, incident_id: int, body: AssignIn) -> Status[Assignment]:
    actor = request_actor(request)
    found = selectors.incident(actor=actor, incident_id=incident_id)
    sent = resource_selectors.unit(actor=actor, unit_id=body.unit_id)
    made = resources.assign_unit(
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
)
def advance_assignment(request: HttpRequest, assignment_id: int, body: AdvanceIn) -> Assignment:
    actor = request_actor(request)
    found = resource_selectors.assignment(actor=actor, assignment_id=assignment_id)
    return resources.advance_assignment(actor=actor, assignment=found, to_state=body.to, position=body.position)


@router.post(
    "/units/{unit_id}/urgent-assistance",
    response={200: UrgentAssistanceOut, 201: UrgentAssistanceOut, **WRITE_ERRORS},
    summary="Raise urgent assistance for a unit",
    description="201 with the new alert, 200 with the open one if it was already raised. It stays on "
    "every control-room screen of the unit's BCU until acknowledged.",
)
def raise_urgent_assistance(request: HttpRequest, unit_id: int, body: PositionIn) -> Status[UrgentAssistance]:
    actor = request_actor(request)
    found = resource_selectors.unit(actor=actor, unit_id=unit_id)
    raised = resources.raise_urgent_assistance(actor=actor, unit=found, position=body.position)
    return Status(201 if raised.created else 200, raised.alert)


@router.post(
    "/urgent-assistance/{alert_id}/acknowledge",
    response={200: UrgentAssistanceOut, **WRITE_ERRORS},
    summary="Acknowledge an urgent assistance alert",
)
def acknowledge_urgent_assistance(request: HttpRequest, alert_id: int, body: PositionIn) -> UrgentAssistance:
    actor = request_actor(request)
    found = resource_selectors.urgent_assistance(actor=actor, alert_id=alert_id)
    return resources.acknowledge_urgent_assistance(actor=actor, alert=found, position=body.position)


@router.get(
    "/urgent-assistance",
    response={200: list[UrgentAssistanceOut], **ERRORS},
    summary="Open urgent assistance alerts (optionally for one BCU)",
)
def open_urgent_assistance(request: HttpRequest, bcu: str = "") -> list[UrgentAssistance]:
    return list(resource_selectors.open_urgent_assistance(actor=request_actor(request), bcu_code=bcu))


@router.get(
    "/timers",
    response={200: list[TimerOut], **ERRORS},
    summary="Status timers that have run out",
    description="Units whose status has lasted past a rule in control/data/status_timers.json, e.g. "
    "'at scene 45 min — check on welfare'; longest first.",
)
def timers(request: HttpRequest, bcu: str = "") -> list[resource_selectors.DueTimer]:
    return resource_selectors.due_timers(actor=request_actor(request), bcu_code=bcu)
