"""Workforce record API: people, who is authorised for what and when, expiring authorisations.

Authentication comes from the API (a bearer token or the signed-in session); every read goes
through the selectors, so the actor's permissions and force apply: another force's person
answers 404. Reading one person's record needs a justification (``X-Justification``), which
is logged with the consultation (DPA 2018 s.62)."""

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from bluelamp.business import selectors
from bluelamp.business.models import Authorisation, Person
from bluelamp.core import consultations
from bluelamp.core.access import request_actor
from bluelamp.core.errors import InvalidInput
from bluelamp.core.justification import JustificationHeader, required
from bluelamp.core.schemas import ERRORS, ErrorBody

router = Router()


class PersonSummaryOut(Schema):
    id: int
    staff_number: str
    first_name: str
    last_name: str
    rank_or_grade: str
    unit_code: str | None = Field(None, alias="unit.code")
    bcu_code: str | None = Field(None, alias="bcu.code")
    active: bool


class AuthorisationOut(Schema):
    skill_code: str
    skill_name: str
    valid_from: dt.date
    valid_until: dt.date | None
    reference: str
    status: str  # as the staff page shows it: Current, Expires in N days, Expired, Starts …


class PersonOut(PersonSummaryOut):
    warrant_number: str
    force_code: str = Field(alias="force.code")
    unit_name: str | None = Field(None, alias="unit.name")
    bcu_name: str | None = Field(None, alias="bcu.name")
    post_number: str | None = Field(None, alias="post.number")
    line_manager_staff_number: str | None = Field(None, alias="line_manager.staff_number")
    authorisations: list[AuthorisationOut]

    @staticmethod
    def resolve_authorisations(person: Person) -> list[AuthorisationOut]:
        return [
            _authorisation_out(line.authorisation, line.status.label) for line in selectors.authorisation_lines(person)
        ]


class SkillOut(Schema):
    code: str
    name: str
    description: str


class ExpiringOut(Schema):
    person_id: int
    staff_number: str
    name: str
    skill_code: str
    valid_until: dt.date
    days_left: int


@router.get(
    "/people",
    response={200: list[PersonSummaryOut], **ERRORS},
    summary="People in the workforce record",
    description="Your force's people (needs `business.view_person`). Narrow with `q` (name, staff or "
    "warrant number) and `skill` (a skill code): with `skill`, only people holding it at `authorised_at` "
    "(ISO date-time; default now).",
)
@consultations.audited_api_page(selectors.PEOPLE_LISTED)
@paginate
def list_people(request: HttpRequest, q: str = "", skill: str = "", authorised_at: dt.datetime | None = None) -> Any:
    return selectors.people(actor=request_actor(request), search=q, skill_code=skill, authorised_at=authorised_at)


@router.get(
    "/people/{person_id}",
    response={200: PersonOut, **ERRORS},
    summary="One person's record (logged, with your justification)",
    description="Send why you need the record in the `X-Justification` header; it is recorded with "
    "the consultation in the audit trail. Without it the answer is 422 and nothing is shown.",
)
def get_person(
    request: HttpRequest,
    person_id: int,
    justification: JustificationHeader = None,
) -> Person:
    actor = request_actor(request)
    selectors.check_person(actor=actor, person_id=person_id)  # 403 / 404 come first
    why = required(justification, what="this person's record", example="Checking AFO renewal for rota 12")
    person = selectors.consult_person(actor=actor, person_id=person_id, justification=why, details={"via": "API"})
    return person


def _authorisation_out(authorisation: Authorisation, status: str) -> AuthorisationOut:
    return AuthorisationOut(
        skill_code=authorisation.skill.code,
        skill_name=authorisation.skill.name,
        valid_from=authorisation.valid_from,
        valid_until=authorisation.valid_until,
        reference=authorisation.reference,
        status=status,
    )


@router.get(
    "/authorised",
    response={200: list[PersonSummaryOut], **ERRORS},
    summary="Who is authorised for a skill at a time",
    description="Active people of your force holding `skill` (e.g. `AFO`) at `at` (ISO date-time; "
    "default now). Authorisations count from their first to their last day, both included. "
    "Needs `business.view_authorisation`.",
)
@consultations.audited_api_page(selectors.PEOPLE_LISTED)
@paginate
def authorised(request: HttpRequest, skill: str, at: dt.datetime | None = None) -> Any:
    return selectors.authorised_people(actor=request_actor(request), skill_code=skill, at=at or timezone.now())


@router.get(
    "/expiring",
    response={200: list[ExpiringOut], **ERRORS},
    summary="Authorisations ending soon",
    description="Authorisations of your force's active people whose last day is within `within_days` "
    "(default 30) from today. Needs `business.view_authorisation`.",
)
def expiring(request: HttpRequest, within_days: int = selectors.EXPIRY_WARNING.days) -> list[ExpiringOut]:
    if not 0 <= within_days <= 366:
        raise InvalidInput("within_days must be between 0 and 366.")
    today = timezone.localdate()
    actor = request_actor(request)
    found = list(selectors.expiring_soon(actor=actor, within=dt.timedelta(days=within_days), today=today))
    selectors.record_people_shown(actor=actor, people=[a.person_id for a in found], via="API")
    return [
        ExpiringOut(
            person_id=a.person_id,
            staff_number=a.person.staff_number,
            name=a.person.full_name,
            skill_code=a.skill.code,
            valid_until=a.valid_until,
            days_left=(a.valid_until - today).days,
        )
        for a in found
        if a.valid_until is not None
    ]


@router.get("/skills", response={200: list[SkillOut], 401: ErrorBody}, summary="Skills and authorisations")
def list_skills(request: HttpRequest) -> Any:
    return selectors.skills()
