"""Single Online Home API for the forces: read a report (audited), tell the reporter something
(status, crime reference, message), and see failing deliveries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from bluelamp.core.access import request_actor
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


@router.get("/reports/{reference}", response={200: ReportOut, **ERRORS}, summary="Read an online report (audited)")
def read_report(request: HttpRequest, reference: str) -> Any:
    return selectors.report(request_actor(request), reference)


@router.post(
    "/reports/{reference}/messages", response={201: UpdateOut, **ERRORS}, summary="Send the reporter a message"
)
def send_message(request: HttpRequest, reference: str, body: MessageIn) -> Any:
    actor = request_actor(request)
    return Status(
        201, services.message_reporter(actor=actor, report=selectors.report(actor, reference), text=body.text)
    )


@router.post(
    "/reports/{reference}/crime-reference", response={200: ReportOut, **ERRORS}, summary="Give the crime reference"
)
def crime_reference(request: HttpRequest, reference: str, body: CrimeReferenceIn) -> Any:
    actor = request_actor(request)
    report = selectors.report(actor, reference)
    return services.give_crime_reference(actor=actor, report=report, crime_reference=body.crime_reference)
