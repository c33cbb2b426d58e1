"""The JSON shapes of units: the board, one unit with its crew and history, assignments,
urgent assistance and the timers that are due."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from bluelamp.control.models import Resource, UrgentAssistance
from bluelamp.control.units import selectors as unit_selectors


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
    unit_type: str = Field(..., alias="unit_type.code")

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
    incident_reference: str = Field(..., alias="incident.reference")
    unit_id: int
    call_sign: str = Field(..., alias="unit.call_sign")
    state: str
    assigned_at: dt.datetime
    en_route_at: dt.datetime | None
    at_scene_at: dt.datetime | None
    cleared_at: dt.datetime | None
    assigned_by: str = Field(..., alias="assigned_by_label")


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
    call_sign: str = Field(..., alias="unit.call_sign")
    bcu: str | None
    incident_id: int | None
    raised_at: dt.datetime
    raised_by: str = Field(..., alias="raised_by_label")
    acknowledged_at: dt.datetime | None
    acknowledged_by: str = Field(..., alias="acknowledged_by_label")

    @staticmethod
    def resolve_bcu(alert: UrgentAssistance) -> str | None:
        return alert.bcu.code if alert.bcu else None


class TimerOut(Schema):
    unit: UnitOut
    base_type: str = Field(..., alias="timer.base_type")
    minutes: int = Field(..., alias="timer.minutes")
    elapsed_minutes: int
    prompt: str

    @staticmethod
    def resolve_elapsed_minutes(due: unit_selectors.DueTimer) -> int:
        return int(due.elapsed.total_seconds() // 60)


def unit_detail_out(detail: unit_selectors.UnitDetail) -> UnitDetailOut:
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
