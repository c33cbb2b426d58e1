"""The JSON shapes of incidents: the incident with its THRIVE assessments, log and response
time; the changes an operator sends; possible duplicates and today's response times."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from bluelamp.control.incidents import selectors as incident_selectors
from bluelamp.control.models import Incident, IncidentLogEntry, ThriveAssessment


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
        measured = incident_selectors.response_time(incident)
        return ResponseTimeOut(
            grade=measured.grade,
            target_minutes=measured.target_minutes,
            attended_after_seconds=_seconds(measured.attended_after),
            time_left_seconds=_seconds(measured.time_left),
            met=measured.met,
        )

    @staticmethod
    def resolve_assessments(incident: Incident) -> list[ThriveAssessment]:
        return list(incident_selectors.assessments(incident))

    @staticmethod
    def resolve_log(incident: Incident) -> list[IncidentLogEntry]:
        return list(incident_selectors.log(incident))


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
