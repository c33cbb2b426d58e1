"""Single Online Home API for the forces: read a report (audited), tell the reporter something
(status, crime reference, message), and see failing deliveries."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Header, Router, Schema, Status

from bluelamp.core.access import request_actor
from bluelamp.core.errors import InvalidInput
from bluelamp.core.schemas import ERRORS
from bluelamp.online import selectors, services

router = Router()


class ReportOut(Schema):
    reference: str
    journey: str
    journey_title: str
    submitted_at: dt.datetime
    category: str
    qualifiers: list[str]
    hocr_class: str
    status: str
    crime_reference: str
    description: str
    address: str
    lat: float | None
    lon: float | None
    answers: dict[str, Any]
    people: list[dict[str, Any]]
    vehicles: list[dict[str, Any]]
    anonymous: bool
    reporter_name: str
    reporter_email: str
    reporter_phone: str
    contact_id: int | None


class MessageIn(Schema):
    text: str = Field(..., examples=["An officer will visit you on Thursday."])


class CrimeReferenceIn(Schema):
    crime_reference: str = Field(..., examples=["CRIS-1234567/26"])


class UpdateOut(Schema):
    at: dt.datetime
    kind: str
    text: str


def _reason(justification: str | None) -> str:
    if not (justification or "").strip():
        raise InvalidInput(
            "Say why you need this report in the X-Justification header, e.g. 'X-Justification: Calling the "
            "reporter back about their burglary report'. It is recorded in the audit trail."
        )
    return (justification or "").strip()


@router.get(
    "/reports/{reference}",
    response={200: ReportOut, **ERRORS},
    summary="Read an online report (audited, with your justification)",
    description="Send why you need the report in the `X-Justification` header; without it the answer is 422.",
)
def read_report(
    request: HttpRequest, reference: str, justification: Annotated[str | None, Header(alias="X-Justification")] = None
) -> Any:
    actor = request_actor(request)
    selectors.report_to_act_on(actor, reference)  # 403 / 404 come first
    return selectors.report(actor, reference, justification=_reason(justification))


@router.post(
    "/reports/{reference}/messages", response={201: UpdateOut, **ERRORS}, summary="Send the reporter a message"
)
def send_message(request: HttpRequest, reference: str, body: MessageIn) -> Any:
    actor = request_actor(request)
    return Status(
        201, services.message_reporter(actor=actor, report=selectors.report_to_act_on(actor, reference), text=body.text)
    )


@router.post(
    "/reports/{reference}/crime-reference",
    response={200: ReportOut, **ERRORS},
    summary="Give the crime reference",
    description="Answers with the whole report, so it needs `X-Justification` as reading it does.",
)
def crime_reference(
    request: HttpRequest,
    reference: str,
    body: CrimeReferenceIn,
    justification: Annotated[str | None, Header(alias="X-Justification")] = None,
) -> Any:
    actor = request_actor(request)
    selectors.report_to_act_on(actor, reference)  # 403 / 404 come first
    report = selectors.report(actor, reference, justification=_reason(justification))
    return services.give_crime_reference(actor=actor, report=report, crime_reference=body.crime_reference)
