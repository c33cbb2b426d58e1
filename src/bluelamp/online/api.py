"""Single Online Home API for the forces: read a report (audited), tell the reporter something
(status, crime reference, message), and see failing deliveries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from bluelamp.core.access import Actor
from bluelamp.core.schemas import ErrorBody
from bluelamp.online import selectors, services

router = Router()

ERRORS: dict[int, Any] = {401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody}


def _actor(request: HttpRequest) -> Actor:
    auth = getattr(request, "auth", None)
    return auth if auth is not None else request.user  # type: ignore[return-value]


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
    return selectors.report(_actor(request), reference)


@router.post(
    "/reports/{reference}/messages", response={201: UpdateOut, **ERRORS}, summary="Send the reporter a message"
)
def send_message(request: HttpRequest, reference: str, body: MessageIn) -> Any:
    actor = _actor(request)
    return Status(
        201, services.message_reporter(actor=actor, report=selectors.report(actor, reference), text=body.text)
    )


@router.post(
    "/reports/{reference}/crime-reference", response={200: ReportOut, **ERRORS}, summary="Give the crime reference"
)
def crime_reference(request: HttpRequest, reference: str, body: CrimeReferenceIn) -> Any:
    actor = _actor(request)
    report = selectors.report(actor, reference)
    return services.give_crime_reference(actor=actor, report=report, crime_reference=body.crime_reference)
