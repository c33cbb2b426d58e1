"""Contacts API: contacts from every channel (calls, online reports, ANPR, alarms), their
outcomes (resolved, linked, made an incident) and the incidents they may duplicate. Reads go
through the selectors, writes through the services."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from bluelamp.control.contacts import selectors as contact_selectors
from bluelamp.control.contacts import services as contact_services
from bluelamp.control.contacts.schemas import AlarmIn, AnprIn, ContactIn, ContactOut, LinkIn, NewIncidentIn, ResolveIn
from bluelamp.control.incidents import selectors as incident_selectors
from bluelamp.control.incidents.schemas import IncidentOut, NearbyOut
from bluelamp.control.models import Contact, Incident
from bluelamp.core.access import request_actor
from bluelamp.core.schemas import ERRORS, WRITE_ERRORS

router = Router()


def _received(request: HttpRequest, **fields: Any) -> Status[Contact]:
    received = contact_services.receive_contact(
        actor=request_actor(request), contact=contact_services.NewContact(**fields)
    )
    return Status(201 if received.created else 200, received.contact)


@router.post(
    "/contacts",
    response={200: ContactOut, 201: ContactOut, **WRITE_ERRORS},
    summary="Take a contact (999, 101, online report or any channel)",
    description="201 with the new contact; 200 with the existing one when `source_reference` was "
    "delivered before on the same channel. Needs `control.add_contact`.",
    operation_id="bluelamp_control_api_create_contact",
)
def create_contact(request: HttpRequest, body: ContactIn) -> Status[Contact]:
    return _received(request, **body.dict())


@router.post(
    "/anpr",
    response={200: ContactOut, 201: ContactOut, **WRITE_ERRORS},
    summary="An ANPR hit",
    description="Plate, camera, time, hotlist and reason become an `anpr` contact; `read_id` makes repeats safe.",
    operation_id="bluelamp_control_api_anpr_hit",
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
    operation_id="bluelamp_control_api_alarm",
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


@router.get(
    "/contacts/{contact_id}",
    response={200: ContactOut, **ERRORS},
    summary="One contact",
    operation_id="bluelamp_control_api_get_contact",
)
def get_contact(request: HttpRequest, contact_id: int) -> Contact:
    return contact_selectors.consult_contact(actor=request_actor(request), contact_id=contact_id, via="API")


@router.post(
    "/contacts/{contact_id}/resolve",
    response={200: ContactOut, **WRITE_ERRORS},
    summary="Resolve a contact without an incident (advice, signposting, referral)",
    operation_id="bluelamp_control_api_resolve_contact",
)
def resolve_contact(request: HttpRequest, contact_id: int, body: ResolveIn) -> Contact:
    actor = request_actor(request)
    found = contact_selectors.contact(actor=actor, contact_id=contact_id)
    return contact_services.resolve_contact(
        actor=actor, contact=found, resolution_code=body.resolution_code, note=body.note
    )


@router.post(
    "/contacts/{contact_id}/link",
    response={200: ContactOut, **WRITE_ERRORS},
    summary="Link a contact to an open incident (its details go into the incident's log)",
    operation_id="bluelamp_control_api_link_contact",
)
def link_contact(request: HttpRequest, contact_id: int, body: LinkIn) -> Contact:
    actor = request_actor(request)
    found = contact_selectors.contact(actor=actor, contact_id=contact_id)
    target = incident_selectors.incident(actor=actor, incident_id=body.incident_id)
    return contact_services.link_contact(actor=actor, contact=found, incident=target, position=body.position)


@router.post(
    "/contacts/{contact_id}/incident",
    response={201: IncidentOut, **WRITE_ERRORS},
    summary="Make an incident from a contact, copying everything it holds",
    operation_id="bluelamp_control_api_create_incident",
)
def create_incident(request: HttpRequest, contact_id: int, body: NewIncidentIn) -> Status[Incident]:
    actor = request_actor(request)
    found = contact_selectors.contact(actor=actor, contact_id=contact_id)
    incident = contact_services.create_incident_from_contact(
        actor=actor, contact=found, category=body.category, qualifiers=body.qualifiers, position=body.position
    )
    return Status(201, incident)  # as made, all it holds known: not read back


@router.get(
    "/contacts/{contact_id}/duplicates",
    response={200: list[NearbyOut], **ERRORS},
    summary="Open incidents this contact may be about",
    description="Open incidents within `radius_metres` and `window_minutes` of the contact "
    "(defaults from control/data/contacts.json: 200 m, 60 min), nearest first.",
    operation_id="bluelamp_control_api_contact_duplicates",
)
def contact_duplicates(
    request: HttpRequest, contact_id: int, radius_metres: float | None = None, window_minutes: int | None = None
) -> list[incident_selectors.Nearby]:
    actor = request_actor(request)
    found = contact_selectors.contact(actor=actor, contact_id=contact_id)
    return incident_selectors.possible_duplicates(
        actor=actor, contact=found, radius_metres=radius_metres, window_minutes=window_minutes
    )
