"""Writes for contacts: receiving one from any channel, and its three outcomes (resolved without
an incident, linked to an incident already open, or made a new incident). Each state change is one
function with keyword-only arguments that checks the actor's permission and force, runs in one
transaction, writes the incident log entry (and the audit entry where personal data is collected),
and emits the event."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from bluelamp.control import rules
from bluelamp.control.actors import actor_force, actor_label, json_safe, own_force
from bluelamp.control.incidents.log import append_log_entry
from bluelamp.control.incidents.numbering import allocate_cad_number, cad_day
from bluelamp.control.models import Contact, Incident, IncidentLogEntry
from bluelamp.core import audit
from bluelamp.core import selectors as core_selectors
from bluelamp.core.access import Actor, require
from bluelamp.core.errors import Conflict, InvalidInput
from bluelamp.core.events import emit
from bluelamp.core.geography import h3_cell
from bluelamp.core.models import Bcu, Borough, Force, with_related

Kind = IncidentLogEntry.Kind
Status = Incident.Status


CONTACT = "control.contact"  # audit record types
INCIDENT = "control.incident"


# Location ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    address: str
    lat: float | None
    lon: float | None
    borough: Borough | None
    bcu: Bcu | None
    h3_cell: str


def place(*, force: Force, address: str = "", lat: float | None = None, lon: float | None = None) -> Place:
    """The address as given and what the point tells us. A point in another force's area (a call
    across the border) keeps its coordinates but gets no borough or BCU of ours."""
    address = address.strip()
    if (lat is None) != (lon is None):
        raise InvalidInput("Give both latitude and longitude, or neither.")
    if lat is None or lon is None:
        if not address:
            raise InvalidInput("Give an address or a map point (latitude and longitude).")
        return Place(address, None, None, None, None, "")
    borough = core_selectors.borough_at(force, lat, lon)
    return Place(address, lat, lon, borough, borough.bcu if borough else None, h3_cell(lat, lon))


def _set_place(record: Contact | Incident, where: Place) -> None:
    record.address, record.lat, record.lon = where.address, where.lat, where.lon
    record.borough, record.bcu, record.h3_cell = where.borough, where.bcu, where.h3_cell


# Contacts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    contact: Contact
    created: bool  # False when the same source reference was delivered before


@dataclass(frozen=True)
class NewContact:
    """A contact as it arrives, from any channel: what :func:`receive_contact` and
    :func:`create_incident_from_call` take. Only the channel is required."""

    channel: str
    received_at: dt.datetime | None = None  # default now
    caller_name: str = ""
    caller_phone: str = ""
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    description: str = ""
    category: str = ""
    qualifiers: list[str] | None = None
    details: dict[str, Any] | None = None
    source_reference: str = ""  # the sender's reference: sending it again gives the same contact


def receive_contact(*, actor: Actor, contact: NewContact) -> Received:
    """Record a contact from any channel. Idempotent on ``source_reference``: delivering the
    same online report, ANPR hit or alarm again gives back the contact made the first time."""
    require(actor, "control.add_contact")
    return _save_contact(actor, _contact_from(actor, contact))


def _save_contact(actor: Actor, contact: Contact) -> Received:
    """Save ``contact`` (from :func:`_contact_from`) with its audit entry and event, unless its
    source reference was delivered before."""
    existing = _delivered_before(contact.force, contact.channel, contact.source_reference)
    if existing is not None:
        return Received(existing, created=False)
    try:
        # A savepoint only when a repeated delivery can collide (the constraint is on the source
        # reference): it costs a round trip to the database each way.
        with transaction.atomic(savepoint=bool(contact.source_reference)):
            contact.save()
            _record_contact_collection(actor, contact)
            emit("control.contact.received", force=contact.force, contact_id=contact.pk, channel=contact.channel)
    except IntegrityError:
        # A simultaneous delivery won.
        again = _delivered_before(contact.force, contact.channel, contact.source_reference)
        if again is None:
            raise
        return Received(again, created=False)
    return Received(contact, created=True)


def _contact_from(actor: Actor, new: NewContact) -> Contact:
    """The contact as given, checked and placed, not yet saved: every mistake in it is found
    before any write."""
    force = actor_force(actor)
    if new.channel not in Contact.Channel.values:
        raise InvalidInput(f"{new.channel!r} is not a channel: use one of {', '.join(Contact.Channel.values)}.")
    qualifiers = list(new.qualifiers or [])
    if new.category:
        rules.check_category(new.category, qualifiers)
    contact = Contact(
        force=force,
        channel=new.channel,
        received_at=new.received_at or timezone.now(),
        received_by=actor_label(actor),
        caller_name=new.caller_name.strip(),
        caller_phone=new.caller_phone.strip(),
        description=new.description.strip(),
        category=new.category,
        qualifiers=qualifiers,
        details=json_safe(new.details or {}),
        source_reference=new.source_reference.strip(),
    )
    _set_place(contact, place(force=force, address=new.address, lat=new.lat, lon=new.lon))
    return contact


def _delivered_before(force: Force, channel: str, source_reference: str) -> Contact | None:
    if not source_reference:
        return None
    return Contact.objects.filter(force=force, channel=channel, source_reference=source_reference).first()


def _holds_personal_data(contact: Contact) -> bool:
    return bool(contact.caller_name or contact.caller_phone or contact.details)


def _record_contact_collection(actor: Actor, contact: Contact) -> None:
    if _holds_personal_data(contact):
        audit.record(
            operation=audit.Operation.COLLECTION,
            actor=actor,
            record_type=CONTACT,
            record_ids=[contact.pk],
            force=contact.force,
            details={"channel": contact.channel},
        )


def _open_contact(actor: Actor, contact: Contact) -> Contact:
    """The contact, locked, if it is still open in the actor's force."""
    own_force(actor, contact.force_id)
    locked = with_related(Contact.objects.select_for_update(of=("self",)), "borough", "bcu").get(pk=contact.pk)
    if locked.outcome != Contact.Outcome.OPEN:
        raise Conflict(f"Contact #{locked.pk} is already {locked.get_outcome_display().lower()}: reload it.")
    return locked


@transaction.atomic
def resolve_contact(*, actor: Actor, contact: Contact, resolution_code: str, note: str = "") -> Contact:
    """Close a contact without an incident: advice, signposting, referral…"""
    require(actor, "control.change_contact")
    codes = rules.resolution_codes()
    if resolution_code not in codes:
        raise InvalidInput(f"{resolution_code!r} is not a resolution: use one of {', '.join(codes)}.")
    contact = _open_contact(actor, contact)
    contact.outcome, contact.resolution_code = Contact.Outcome.RESOLVED, resolution_code
    contact.resolution_note, contact.closed_at = note.strip(), timezone.now()
    contact.save()
    emit("control.contact.resolved", force=contact.force, contact_id=contact.pk, resolution=resolution_code)
    return contact


def _contact_summary(contact: Contact) -> dict[str, Any]:
    """What a contact brings to an incident's log: everything it holds, so nothing is re-typed,
    except who called: that stays on the contact, for those who may view contacts."""
    return {
        "contact_id": contact.pk,
        "channel": contact.channel,
        "received_at": contact.received_at.isoformat(),
        "address": contact.address,
        "lat": contact.lat,
        "lon": contact.lon,
        "description": contact.description,
        "category": contact.category,
        "qualifiers": contact.qualifiers,
        "details": contact.details,
        "source_reference": contact.source_reference,
    }


def _contact_text(contact: Contact) -> str:
    lines = [f"{contact.get_channel_display()} contact #{contact.pk} received {contact.received_at.isoformat()}"]
    lines += [f"Location: {contact.address}"] if contact.address else []
    lines += [contact.description] if contact.description else []
    lines += [f"{key}: {value}" for key, value in sorted(contact.details.items())]
    return "\n".join(lines)


@transaction.atomic
def link_contact(*, actor: Actor, contact: Contact, incident: Incident, position: str = "") -> Contact:
    """Attach a contact to an incident already open (another call about the same thing). The
    contact's details go into the incident's log."""
    require(actor, "control.change_contact")
    contact = _open_contact(actor, contact)
    own_force(actor, incident.force_id)
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if locked.status == Status.CLOSED:
        raise Conflict(f"{locked.reference} is closed: reopen it first, or make a new incident.")
    contact.outcome, contact.incident, contact.closed_at = Contact.Outcome.LINKED, locked, timezone.now()
    contact.save()
    append_log_entry(
        incident=locked,
        actor=actor,
        kind=Kind.AUTOMATIC,
        text=f"Linked: {_contact_text(contact)}",
        data={"linked_contact": _contact_summary(contact)},
        position=position,
    )
    _record_incident_collection(actor, locked, contact)
    emit("control.contact.linked", force=locked.force, contact_id=contact.pk, incident_id=locked.pk)
    return contact


def _record_incident_collection(actor: Actor, incident: Incident, contact: Contact) -> None:
    if _holds_personal_data(contact):
        audit.record(
            operation=audit.Operation.COLLECTION,
            actor=actor,
            record_type=INCIDENT,
            record_ids=[incident.pk],
            force=incident.force,
            details={"copied_from_contact": contact.pk},
        )


@transaction.atomic
def create_incident_from_contact(
    *, actor: Actor, contact: Contact, category: str = "", qualifiers: list[str] | None = None, position: str = ""
) -> Incident:
    """Turn a contact into a new incident, copying everything it holds (location, description,
    category, every detail). The copy is written to the incident's log as an automatic entry."""
    require(actor, "control.add_incident")
    contact = _open_contact(actor, contact)
    return _make_incident(actor, contact, *_opening(contact, category, qualifiers), position)


def _opening(contact: Contact, category: str = "", qualifiers: list[str] | None = None) -> tuple[str, list[str]]:
    """The incident's opening category and qualifiers (the handler's, else the contact's), checked."""
    category = category or contact.category
    qualifiers = list(qualifiers if qualifiers is not None else contact.qualifiers)
    if not category:
        raise InvalidInput("Choose the NSIR opening category before making the incident.")
    rules.check_category(category, qualifiers, what="opening category")
    return category, qualifiers


def _make_incident(actor: Actor, contact: Contact, category: str, qualifiers: list[str], position: str) -> Incident:
    """The incident from ``contact``, which the caller holds locked (or saved in this transaction),
    numbered as it is made."""
    now = timezone.now()
    day = cad_day(now)
    force = actor_force(actor)  # the contact's own (checked), from the process's copy
    incident = Incident.objects.create(
        force=force,
        cad_day=day,
        cad_number=allocate_cad_number(force=force, day=day),
        created_at=now,
        description=contact.description,
        opening_category=category,
        opening_qualifiers=qualifiers,
        details=contact.details,
        address=contact.address,
        lat=contact.lat,
        lon=contact.lon,
        borough=contact.borough,  # the contact's own objects: no query
        bcu=contact.bcu,
        h3_cell=contact.h3_cell,
    )
    contact.outcome, contact.incident, contact.closed_at = Contact.Outcome.INCIDENT, incident, now
    contact.save(update_fields=["outcome", "incident", "closed_at"])
    append_log_entry(
        incident=incident,
        actor=actor,
        kind=Kind.AUTOMATIC,
        text=f"Incident created from {_contact_text(contact)}",
        data={"from_contact": _contact_summary(contact), "category": category, "qualifiers": qualifiers},
        position=position,
        new_incident=True,
    )
    _record_incident_collection(actor, incident, contact)
    emit(
        "control.incident.created",
        force=incident.force,
        incident_id=incident.pk,
        reference=incident.reference,
        contact_id=contact.pk,
        category=category,
    )
    return incident


@dataclass(frozen=True)
class Made:
    incident: Incident
    created: bool  # False when the same source reference was delivered before


@transaction.atomic
def create_incident_from_call(*, actor: Actor, contact: NewContact, position: str = "") -> Made:
    """Take a contact and make it an incident in one step (one transaction): for a call that
    plainly needs one, and for systems that send incidents (another service's CAD, a monitoring
    centre). ``contact`` is what :func:`receive_contact` takes. Sending the same
    ``source_reference`` again gives back the incident made the first time. Everything is
    checked before any write."""
    require(actor, "control.add_contact")
    require(actor, "control.add_incident")
    taken = _contact_from(actor, contact)
    category, qualifiers = _opening(taken)  # refused before anything is saved
    received = _save_contact(actor, taken)
    if received.created:
        return Made(_make_incident(actor, received.contact, category, qualifiers, position), created=True)
    if received.contact.incident_id is not None:
        return Made(Incident.objects.get(pk=received.contact.incident_id), created=False)
    made = create_incident_from_contact(actor=actor, contact=received.contact, position=position)
    return Made(made, created=True)
