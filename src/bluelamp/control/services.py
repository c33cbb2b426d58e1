"""Writes for Command and Control. Each state change is one function with keyword-only
arguments that checks the actor's permission and force, runs in one transaction, writes the
incident log entry (and the audit entry where personal data is collected), and emits the event.

Every change to an incident takes ``expected_version`` — the version the operator was looking
at — and is refused with a Conflict when someone else changed the incident meanwhile (automation
may pass ``None``)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from bluelamp.control import rules
from bluelamp.control.models import (
    THRIVE_DIMENSIONS,
    CadCounter,
    Contact,
    Grade,
    Incident,
    IncidentLogEntry,
    ThriveAssessment,
)
from bluelamp.core import audit, audit_keys
from bluelamp.core import selectors as core_selectors
from bluelamp.core.access import Actor, require
from bluelamp.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bluelamp.core.events import emit
from bluelamp.core.geography import h3_cell
from bluelamp.core.models import Bcu, Borough, Force, User, with_related

CONTACT = "control.contact"  # audit record types
INCIDENT = "control.incident"
GENESIS_HASH = "0" * 64
Kind = IncidentLogEntry.Kind
Status = Incident.Status


def _actor_user(actor: Actor | None) -> User | None:
    return actor if isinstance(actor, User) else None


def _actor_label(actor: Actor | None) -> str:
    if isinstance(actor, User):
        return actor.get_username()
    return "system" if actor is None else str(actor)


def _actor_force(actor: Actor) -> Force:
    if actor.force_id is None:
        raise PermissionDenied("Only members of a force (or its API clients) can take contacts.")
    return core_selectors.force(actor.force_id)


def _own_force(actor: Actor, force_id: int) -> None:
    """Writes only ever go to the actor's own force; another force's records are not there."""
    if actor.force_id != force_id:
        raise NotFound("No such record in your force.")


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


def _json_safe(value: Any) -> Any:
    """What a JSON field hands back after a round trip (dates become strings)."""
    return json.loads(audit.canonical_json(value))


def receive_contact(
    *,
    actor: Actor,
    channel: str,
    received_at: dt.datetime | None = None,
    caller_name: str = "",
    caller_phone: str = "",
    address: str = "",
    lat: float | None = None,
    lon: float | None = None,
    description: str = "",
    category: str = "",
    qualifiers: list[str] | None = None,
    details: dict[str, Any] | None = None,
    source_reference: str = "",
) -> Received:
    """Record a contact from any channel. Idempotent on ``source_reference``: delivering the
    same online report, ANPR hit or alarm again gives back the contact made the first time."""
    require(actor, "control.add_contact")
    contact = _contact_from(
        actor,
        channel=channel,
        received_at=received_at,
        caller_name=caller_name,
        caller_phone=caller_phone,
        address=address,
        lat=lat,
        lon=lon,
        description=description,
        category=category,
        qualifiers=qualifiers,
        details=details,
        source_reference=source_reference,
    )
    return _save_contact(actor, contact)


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


def _contact_from(
    actor: Actor,
    *,
    channel: str,
    received_at: dt.datetime | None = None,
    caller_name: str = "",
    caller_phone: str = "",
    address: str = "",
    lat: float | None = None,
    lon: float | None = None,
    description: str = "",
    category: str = "",
    qualifiers: list[str] | None = None,
    details: dict[str, Any] | None = None,
    source_reference: str = "",
) -> Contact:
    """The contact as given, checked and placed, not yet saved: every mistake in it is found
    before any write."""
    force = _actor_force(actor)
    if channel not in Contact.Channel.values:
        raise InvalidInput(f"{channel!r} is not a channel: use one of {', '.join(Contact.Channel.values)}.")
    qualifiers = list(qualifiers or [])
    if category:
        rules.check_category(category, qualifiers)
    contact = Contact(
        force=force,
        channel=channel,
        received_at=received_at or timezone.now(),
        received_by=_actor_label(actor),
        caller_name=caller_name.strip(),
        caller_phone=caller_phone.strip(),
        description=description.strip(),
        category=category,
        qualifiers=qualifiers,
        details=_json_safe(details or {}),
        source_reference=source_reference.strip(),
    )
    _set_place(contact, place(force=force, address=address, lat=lat, lon=lon))
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
    _own_force(actor, contact.force_id)
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
    _own_force(actor, incident.force_id)
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


# Incidents --------------------------------------------------------------------------------


def cad_day(at: dt.datetime) -> dt.date:
    """The day a CAD number belongs to: the calendar day in the platform's zone (Europe/London)."""
    return timezone.localdate(at)


def allocate_cad_number(*, force: Force, day: dt.date) -> int:
    """The next CAD number of ``force`` on ``day``. The counter row stays locked until the
    caller's transaction ends, so concurrent incidents queue for their numbers."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_cad_number must run inside the transaction that uses the number")
    counter = CadCounter.objects.select_for_update().filter(force=force, day=day).first()
    if counter is None:  # the day's first incident: make the row (or find it made), then lock it
        CadCounter.objects.get_or_create(force=force, day=day)
        counter = CadCounter.objects.select_for_update().get(force=force, day=day)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


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
    force = _actor_force(actor)  # the contact's own (checked), from the process's copy
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
def create_incident_from_call(*, actor: Actor, position: str = "", **contact: Any) -> Made:
    """Take a contact and make it an incident in one step (one transaction): for a call that
    plainly needs one, and for systems that send incidents (another service's CAD, a monitoring
    centre). ``contact`` is what :func:`receive_contact` takes. Sending the same
    ``source_reference`` again gives back the incident made the first time. Everything is
    checked before any write."""
    require(actor, "control.add_contact")
    require(actor, "control.add_incident")
    taken = _contact_from(actor, **contact)
    category, qualifiers = _opening(taken)  # refused before anything is saved
    received = _save_contact(actor, taken)
    if received.created:
        return Made(_make_incident(actor, received.contact, category, qualifiers, position), created=True)
    if received.contact.incident_id is not None:
        return Made(Incident.objects.get(pk=received.contact.incident_id), created=False)
    made = create_incident_from_contact(actor=actor, contact=received.contact, position=position)
    return Made(made, created=True)


def _lock_incident(actor: Actor, incident: Incident, expected_version: int | None) -> Incident:
    """The incident, locked for this transaction, if nobody changed it since ``expected_version``."""
    _own_force(actor, incident.force_id)
    locked = with_related(Incident.objects.select_for_update(), "force").get(pk=incident.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(
            f"Someone else changed {locked.reference} (you had version {expected_version}, it is now "
            f"version {locked.version}): reload it and make your change again."
        )
    return locked


def _save_new_version(incident: Incident, fields: list[str]) -> None:
    incident.version += 1
    incident.save(update_fields=[*fields, "version"])


@dataclass(frozen=True)
class Assessed:
    incident: Incident
    assessment: ThriveAssessment


@transaction.atomic
def assess_incident(
    *,
    actor: Actor,
    incident: Incident,
    levels: dict[str, str],
    notes: dict[str, str] | None = None,
    grade: str | None = None,
    override_reason: str = "",
    expected_version: int | None = None,
    position: str = "",
) -> Assessed:
    """Record a THRIVE assessment (a new version; earlier ones are kept) and grade the incident.
    The rules suggest a grade; choosing another needs a reason."""
    require(actor, "control.grade_incident")
    notes = notes or {}
    unknown = set(levels) - set(THRIVE_DIMENSIONS) | set(notes) - set(THRIVE_DIMENSIONS)
    if unknown:
        raise InvalidInput(f"Not THRIVE dimensions: {', '.join(sorted(unknown))}.")
    suggestion = rules.suggest_grade(levels)
    grade = grade or suggestion.grade
    override_reason = override_reason.strip()
    if grade not in Grade.values:
        raise InvalidInput(f"{grade!r} is not a grade: use one of {', '.join(Grade.values)}.")
    if grade != suggestion.grade and not override_reason:
        raise InvalidInput(
            f"The rules suggest grade {suggestion.grade} ({suggestion.reason}); say why you chose {grade}."
        )
    locked = _lock_incident(actor, incident, expected_version)
    if locked.status == Status.CLOSED:
        raise Conflict(f"{locked.reference} is closed: reopen it before re-assessing.")
    assessment = ThriveAssessment.objects.create(
        incident=locked,
        number=locked.assessments.count() + 1,
        at=timezone.now(),
        assessed_by=_actor_user(actor),
        assessed_by_label=_actor_label(actor),
        suggested_grade=suggestion.grade,
        suggestion_reason=suggestion.reason[:200],
        grade=grade,
        override_reason=override_reason if grade != suggestion.grade else "",
        **{dimension: levels[dimension] for dimension in THRIVE_DIMENSIONS},
        **{f"{dimension}_note": notes.get(dimension, "").strip() for dimension in THRIVE_DIMENSIONS},
    )
    _log_assessment(actor, locked, assessment, position)
    previous_grade = locked.grade
    locked.grade = grade
    _save_new_version(locked, ["grade"])
    if grade != previous_grade:
        _log_grade(actor, locked, assessment, previous_grade, position)
        emit("control.incident.graded", force=locked.force, incident_id=locked.pk, grade=grade, previous=previous_grade)
    emit("control.incident.assessed", force=locked.force, incident_id=locked.pk, version=assessment.number)
    return Assessed(locked, assessment)


def _log_assessment(actor: Actor, incident: Incident, assessment: ThriveAssessment, position: str) -> None:
    levels = {dimension: getattr(assessment, dimension) for dimension in THRIVE_DIMENSIONS}
    summary = ", ".join(f"{dimension.capitalize()} {level}" for dimension, level in levels.items())
    append_log_entry(
        incident=incident,
        actor=actor,
        kind=Kind.ASSESSED,
        text=f"THRIVE v{assessment.number}: {summary}",
        data={"assessment": assessment.number, "levels": levels},
        position=position,
    )


def _log_grade(actor: Actor, incident: Incident, assessment: ThriveAssessment, previous: str, position: str) -> None:
    text = f"Graded {assessment.grade}" + (f" (was {previous})" if previous else "")
    if assessment.override_reason:
        text += f"; rules suggested {assessment.suggested_grade}; reason: {assessment.override_reason}"
    append_log_entry(
        incident=incident,
        actor=actor,
        kind=Kind.GRADED,
        text=text,
        data={
            "grade": assessment.grade,
            "previous": previous,
            "suggested": assessment.suggested_grade,
            "override_reason": assessment.override_reason,
        },
        position=position,
    )


TRANSITION_KINDS = {
    Status.RESOURCED: Kind.ASSIGNED,
    Status.AT_SCENE: Kind.ARRIVED,
    Status.CLOSED: Kind.CLOSED,
}


@transaction.atomic
def transition_incident(
    *,
    actor: Actor,
    incident: Incident,
    to: str,
    expected_version: int | None = None,
    note: str = "",
    closing_category: str = "",
    closing_qualifiers: list[str] | None = None,
    closing_result: str = "",
    position: str = "",
) -> Incident:
    """Move an incident along its lifecycle (open → resourced → at scene → closed; reopen →
    open). Closing needs the NSIR closing category and the result. Refused changes change nothing."""
    closing = to == Status.CLOSED
    reopening = to == Status.OPEN and incident.status == Status.CLOSED
    require(actor, "control.close_incident" if closing or reopening else "control.change_incident")
    if to not in Status.values:
        raise InvalidInput(f"{to!r} is not a status: use one of {', '.join(Status.values)}.")
    locked = _lock_incident(actor, incident, expected_version)
    if to not in rules.NEXT_STATUSES[locked.status]:
        raise Conflict(_refusal(locked, to))
    changed = ["status"]
    now = timezone.now()
    if closing:
        changed += _close(locked, closing_category, closing_qualifiers or [], closing_result, now)
    if to == Status.RESOURCED and locked.resourced_at is None:
        locked.resourced_at, changed = now, [*changed, "resourced_at"]
    if to == Status.AT_SCENE and locked.first_arrived_at is None:
        locked.first_arrived_at, changed = now, [*changed, "first_arrived_at"]
    if reopening:
        locked.closed_at, changed = None, [*changed, "closed_at"]
    previous, locked.status = locked.status, to
    _save_new_version(locked, changed)
    kind = Kind.REOPENED if reopening else TRANSITION_KINDS.get(Status(to), Kind.UPDATED)
    text = f"{Status(previous).label} → {Status(to).label}" + (f": {note.strip()}" if note.strip() else "")
    data: dict[str, Any] = {"from": previous, "to": to}
    if closing:
        data |= {"closing_category": locked.closing_category, "closing_result": locked.closing_result}
    append_log_entry(incident=locked, actor=actor, kind=kind, text=text, data=data, position=position)
    emit(
        "control.incident.status_changed",
        force=locked.force,
        incident_id=locked.pk,
        status=to,
        previous=previous,
    )
    return locked


def _refusal(incident: Incident, to: str) -> str:
    allowed = ", ".join(Status(s).label.lower() for s in sorted(rules.NEXT_STATUSES[incident.status]))
    current = Status(incident.status).label.lower()
    return f"{incident.reference} is {current}: it cannot become {Status(to).label.lower()} (it can become {allowed})."


def _close(incident: Incident, category: str, qualifiers: list[str], result: str, now: dt.datetime) -> list[str]:
    if not category or not result.strip():
        raise InvalidInput(
            f"To close {incident.reference} give the NSIR closing category and the result "
            "(the closing category may differ from the opening one)."
        )
    rules.check_category(category, qualifiers, what="closing category")
    incident.closing_category, incident.closing_qualifiers = category, qualifiers
    incident.closing_result, incident.closed_at = result.strip(), now
    return ["closing_category", "closing_qualifiers", "closing_result", "closed_at"]


# The incident log -------------------------------------------------------------------------


def log_entry_hash(entry: IncidentLogEntry) -> str:
    """The seal (HMAC-SHA-256 under the entry's key, see core/audit_keys.py) over the entry's
    content and the previous entry's hash (of the same incident)."""
    content = {
        "incident_id": entry.incident_id,
        "at": entry.at.isoformat(),
        "operator_id": entry.operator_id,
        "operator_label": entry.operator_label,
        "position": entry.position,
        "kind": entry.kind,
        "text": entry.text,
        "data": entry.data,
        "corrects_id": entry.corrects_id,
        "previous_hash": entry.previous_hash,
    }
    return audit_keys.seal(content, key_id=entry.key_id)


def append_log_entry(
    *,
    incident: Incident,
    actor: Actor | None,
    kind: str,
    text: str,
    data: dict[str, Any] | None = None,
    position: str = "",
    corrects: IncidentLogEntry | None = None,
    new_incident: bool = False,
) -> IncidentLogEntry:
    """Chain one entry onto an incident's log. Callers hold the incident row's lock (services
    lock it first), so entries of one incident are chained one after another. ``new_incident``:
    the incident was made in this transaction, so nobody else can see it and its head is known."""
    with transaction.atomic(savepoint=False):  # part of the caller's transaction, whole or not at all
        head = (
            incident
            if new_incident
            else Incident.objects.select_for_update().only("log_length", "last_log_hash").get(pk=incident.pk)
        )
        entry = _log_entry(
            incident=incident,
            actor=actor,
            kind=kind,
            text=text,
            data=data,
            position=position,
            corrects=corrects,
            previous_hash=head.last_log_hash or GENESIS_HASH,
        )
        entry.save()
        Incident.objects.filter(pk=incident.pk).update(log_length=head.log_length + 1, last_log_hash=entry.entry_hash)
    incident.log_length, incident.last_log_hash = head.log_length + 1, entry.entry_hash
    return entry


def _log_entry(
    *,
    incident: Incident,
    actor: Actor | None,
    kind: str,
    text: str,
    data: dict[str, Any] | None,
    position: str,
    previous_hash: str,
    corrects: IncidentLogEntry | None = None,
) -> IncidentLogEntry:
    """The entry after ``previous_hash`` in ``incident``'s log, hashed, not yet saved."""
    entry = IncidentLogEntry(
        incident_id=incident.pk,
        at=timezone.now(),
        operator=_actor_user(actor),
        operator_label=_actor_label(actor),
        position=position.strip()[:60],
        kind=kind,
        text=text,
        data=_json_safe(data or {}),
        corrects=corrects,
        previous_hash=previous_hash,
        key_id=audit_keys.current_key_id(),
    )
    entry.entry_hash = log_entry_hash(entry)
    return entry


@transaction.atomic
def add_log_entry(
    *,
    actor: Actor,
    incident: Incident,
    text: str,
    position: str = "",
    corrects: IncidentLogEntry | None = None,
) -> IncidentLogEntry:
    """An operator's free-text entry, or a correction of an earlier entry (which stays as it was).
    Notes do not conflict with each other, so no version is needed."""
    require(actor, "control.change_incident")
    _own_force(actor, incident.force_id)
    if not text.strip():
        raise InvalidInput("A log entry needs some text.")
    if corrects is not None and corrects.incident_id != incident.pk:
        raise InvalidInput("A correction must refer to an entry of the same incident's log.")
    kind = Kind.CORRECTION if corrects is not None else Kind.TEXT
    data = {"corrects": corrects.pk} if corrects is not None else {}
    entry = append_log_entry(
        incident=incident, actor=actor, kind=kind, text=text.strip(), data=data, position=position, corrects=corrects
    )
    emit("control.incident.logged", force=incident.force, incident_id=incident.pk, entry_id=entry.pk, kind=kind)
    return entry
