"""Writes for Command and Control. Each state change is one function with keyword-only
arguments that checks the actor's permission and force, runs in one transaction, writes the
incident log entry (and the audit entry where personal data is collected), and emits the event.

Every change to an incident takes ``expected_version`` — the version the operator was looking
at — and is refused with a Conflict when someone else changed the incident meanwhile (automation
may pass ``None``)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
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
from bluelamp.core import audit, audit_keys, requestcontext
from bluelamp.core import selectors as core_selectors
from bluelamp.core.access import Actor, require
from bluelamp.core.db.rows import insert_rows, prepared_cursor, update_rows
from bluelamp.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bluelamp.core.events import emit, emit_all, event
from bluelamp.core.geography import h3_cell
from bluelamp.core.groupcommit import GroupWriter
from bluelamp.core.models import AuditEntry, Bcu, Borough, Force, OutboxEvent, User, known_related, with_related

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
    existing = _delivered_before(contact.force, channel, contact.source_reference)
    if existing is not None:
        return Received(existing, created=False)
    try:
        # A savepoint only when a repeated delivery can collide (the constraint is on the source
        # reference): it costs a round trip to the database each way.
        with transaction.atomic(savepoint=bool(contact.source_reference)):
            written = _write_contacts([Taken(actor, contact)])
            emit_all(list(written.events))
            audit.append(written.audit)
    except IntegrityError:
        again = _delivered_before(contact.force, channel, contact.source_reference)  # a simultaneous delivery won
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


@dataclass(frozen=True)
class Taken:
    """A contact and who took it, from which request: what one write of many needs to know."""

    actor: Actor
    contact: Contact
    context: requestcontext.RequestContext = field(default_factory=requestcontext.current)


@dataclass(frozen=True)
class ContactsWritten:
    """What saving contacts leaves the caller to do in the same transaction: emit their events
    and append their audit entries, each with the rest of the transaction's."""

    events: tuple[OutboxEvent, ...] = ()
    audit: tuple[AuditEntry, ...] = ()


def _write_contacts(taken: list[Taken]) -> ContactsWritten:
    """Save new contacts (one INSERT however many); their events and audit entries, prepared."""
    insert_rows([each.contact for each in taken])
    return ContactsWritten(
        events=tuple(
            event(
                "control.contact.received",
                force=each.contact.force,
                contact_id=each.contact.pk,
                channel=each.contact.channel,
            )
            for each in taken
        ),
        audit=tuple(_contact_collection(each) for each in taken if _holds_personal_data(each.contact)),
    )


def _delivered_before(force: Force, channel: str, source_reference: str) -> Contact | None:
    if not source_reference:
        return None
    return Contact.objects.filter(force=force, channel=channel, source_reference=source_reference).first()


def _holds_personal_data(contact: Contact) -> bool:
    return bool(contact.caller_name or contact.caller_phone or contact.details)


def _contact_collection(taken: Taken) -> AuditEntry:
    return audit.prepare(
        operation=audit.Operation.COLLECTION,
        actor=taken.actor,
        record_type=CONTACT,
        record_ids=[taken.contact.pk],
        force=taken.contact.force,
        details={"channel": taken.contact.channel},
        context=taken.context,
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
    """What a contact brings to an incident's log: everything it holds, so nothing is re-typed."""
    return {
        "contact_id": contact.pk,
        "channel": contact.channel,
        "received_at": contact.received_at.isoformat(),
        "caller_name": contact.caller_name,
        "caller_phone": contact.caller_phone,
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
    caller = ", ".join(part for part in (contact.caller_name, contact.caller_phone) if part)
    lines = [f"{contact.get_channel_display()} contact #{contact.pk} received {contact.received_at.isoformat()}"]
    lines += [f"Caller: {caller}"] if caller else []
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
        audit.append([_incident_collection(Taken(actor, contact), incident)])


def _incident_collection(taken: Taken, incident: Incident) -> AuditEntry:
    return audit.prepare(
        operation=audit.Operation.COLLECTION,
        actor=taken.actor,
        record_type=INCIDENT,
        record_ids=[incident.pk],
        force=incident.force,
        details={"copied_from_contact": taken.contact.pk},
        context=taken.context,
    )


# Incidents --------------------------------------------------------------------------------


def cad_day(at: dt.datetime) -> dt.date:
    """The day a CAD number belongs to: the calendar day in the platform's zone (Europe/London)."""
    return timezone.localdate(at)


def allocate_cad_numbers(*, force: Force, day: dt.date, count: int = 1) -> range:
    """The next ``count`` CAD numbers of ``force`` on ``day``. The counter row stays locked until
    the caller's transaction ends, so concurrent incidents queue for their numbers."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_cad_numbers must run inside the transaction that uses the numbers")
    last = _advance_cad_counter(force, day, count)
    if last is None:  # the day's first incident: make the row (or find it made), then take from it
        CadCounter.objects.get_or_create(force=force, day=day)
        last = _advance_cad_counter(force, day, count)
        assert last is not None
    return range(last - count + 1, last + 1)


def _advance_cad_counter(force: Force, day: dt.date, count: int) -> int | None:
    """Move the day's counter on by ``count`` and return its new last number (None if the day has
    no counter yet), in one statement: the row is locked from then until the transaction ends."""
    connection = transaction.get_connection()
    table = connection.ops.quote_name(CadCounter._meta.db_table)  # the model's own name; values are parameters
    with prepared_cursor(connection) as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_number = last_number + %s WHERE force_id = %s AND day = %s "  # noqa: S608
            "RETURNING last_number",
            [count, force.pk, connection.ops.adapt_datefield_value(day)],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None


@transaction.atomic
def create_incident_from_contact(
    *, actor: Actor, contact: Contact, category: str = "", qualifiers: list[str] | None = None, position: str = ""
) -> Incident:
    """Turn a contact into a new incident, copying everything it holds (location, description,
    category, every detail). The copy is written to the incident's log as an automatic entry."""
    require(actor, "control.add_incident")
    making = Making(Taken(actor, _open_contact(actor, contact)), category, qualifiers, position)
    return _make_incidents([making])[0]


@dataclass(frozen=True)
class Making:
    """An incident to make from ``taken.contact``, which the caller holds locked, or which is new
    and saved with its incident. ``category`` and ``qualifiers``: the handler's, else the contact's."""

    taken: Taken
    category: str = ""
    qualifiers: list[str] | None = None
    position: str = ""


def _make_incidents(makings: list[Making]) -> list[Incident]:
    """The incidents from their contacts, written together: the CAD counter is locked once per
    force, and each kind of row is one statement however many incidents there are.

    New contacts (a call made an incident in one step) are saved after their incidents, closed
    as they are inserted; their events are emitted with the incidents' (one statement), and
    their audit entries appended with the incidents' own. The trail's head is locked once and
    last, so that on PostgreSQL concurrent transactions queue for it only while they commit."""
    now = timezone.now()
    incidents = [_incident_from(making, now) for making in makings]  # checked before any write
    insert_rows(incidents)  # numbered below, as late as it can be
    contacts = [making.taken.contact for making in makings]
    new = [making.taken for making in makings if making.taken.contact._state.adding]
    held = [contact for contact in contacts if not contact._state.adding]
    for contact, incident in zip(contacts, incidents, strict=True):
        contact.outcome, contact.incident, contact.closed_at = Contact.Outcome.INCIDENT, incident, now
    contacts_written = _write_contacts(new)  # inserted closed: no UPDATE after
    update_rows(held, ["outcome", "incident", "closed_at"])
    entries = insert_rows(
        [_first_log_entry(making, incident) for making, incident in zip(makings, incidents, strict=True)]
    )
    for incident, contact, entry in zip(incidents, contacts, entries, strict=True):
        incident.log_length, incident.last_log_hash = 1, entry.entry_hash
        known_related(incident, contacts=[contact], assessments=[], log=[entry])  # all it has: shown without a query
    emit_all(  # its receivers (the POLE feed, dispatch) do their work before the number is given
        [
            *contacts_written.events,
            *(
                event(
                    "control.incident.created",
                    force=incident.force,
                    about=incident,
                    incident_id=incident.pk,
                    contact_id=contact.pk,
                    category=incident.opening_category,
                )
                for incident, contact in zip(incidents, contacts, strict=True)
            ),
        ]
    )
    # The CAD counter stays locked from here until the commit, so nothing is left after it but
    # the number itself and the audit trail (whose head is locked last, for the same reason).
    _number(incidents, cad_day(now))
    update_rows(incidents, ["cad_number", "log_length", "last_log_hash"])
    audit.append(
        [
            *contacts_written.audit,
            *(
                _incident_collection(making.taken, incident)
                for making, incident in zip(makings, incidents, strict=True)
                if _holds_personal_data(making.taken.contact)
            ),
        ]
    )
    return incidents


def _opening(making: Making) -> tuple[str, list[str]]:
    """The incident's opening category and qualifiers (the handler's, else the contact's), checked."""
    contact = making.taken.contact
    category = making.category or contact.category
    qualifiers = list(making.qualifiers if making.qualifiers is not None else contact.qualifiers)
    if not category:
        raise InvalidInput("Choose the NSIR opening category before making the incident.")
    rules.check_category(category, qualifiers, what="opening category")
    return category, qualifiers


def _incident_from(making: Making, now: dt.datetime) -> Incident:
    contact = making.taken.contact
    category, qualifiers = _opening(making)
    return Incident(
        force=_actor_force(making.taken.actor),  # the contact's own (checked), from the process's copy
        cad_day=cad_day(now),
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


def _number(incidents: list[Incident], day: dt.date) -> None:
    """Give each incident the next CAD number of its force, in order."""
    by_force: dict[int, list[Incident]] = {}
    for incident in incidents:
        by_force.setdefault(incident.force_id, []).append(incident)
    for group in by_force.values():
        numbers = allocate_cad_numbers(force=group[0].force, day=day, count=len(group))
        for incident, number in zip(group, numbers, strict=True):
            incident.cad_number = number


def _first_log_entry(making: Making, incident: Incident) -> IncidentLogEntry:
    contact = making.taken.contact
    return _log_entry(
        incident=incident,
        actor=making.taken.actor,
        kind=Kind.AUTOMATIC,
        text=f"Incident created from {_contact_text(contact)}",
        data={
            "from_contact": _contact_summary(contact),
            "category": incident.opening_category,
            "qualifiers": incident.opening_qualifiers,
        },
        position=making.position,
        previous_hash=GENESIS_HASH,
    )


@dataclass(frozen=True)
class Made:
    incident: Incident
    created: bool  # False when the same source reference was delivered before


def create_incident_from_call(*, actor: Actor, position: str = "", **contact: Any) -> Made:
    """Take a contact and make it an incident in one step (one transaction): for a call that
    plainly needs one, and for systems that send incidents (another service's CAD, a monitoring
    centre). ``contact`` is what :func:`receive_contact` takes. Sending the same
    ``source_reference`` again gives back the incident made the first time.

    Everything is checked before any write. Called outside a transaction (a request), the call
    is written by :data:`_calls_writer` together with the calls other requests are making at
    the same moment; inside one, it is written in the caller's transaction."""
    require(actor, "control.add_contact")
    require(actor, "control.add_incident")
    making = Making(Taken(actor, _contact_from(actor, **contact)), position=position)
    _opening(making)  # the category is there and known: refused here, not in a batch
    if transaction.get_connection().in_atomic_block:
        return _write_calls([making])[0]
    return _calls_writer.submit(making)


@transaction.atomic
def _write_calls(makings: list[Making]) -> list[Made]:
    """Write calls (see :func:`create_incident_from_call`) in one transaction. A source reference
    delivered before, or twice in these calls, gives back the incident made the first time."""
    fresh = _first_deliveries(makings)
    made = dict(zip(map(id, fresh), _make_incidents(fresh), strict=True))
    return [Made(made[id(making)], created=True) if id(making) in made else _repeat(making) for making in makings]


def _first_deliveries(makings: list[Making]) -> list[Making]:
    """The calls with no source reference, or one not delivered before nor earlier in ``makings``."""
    seen = _delivered({key for making in makings if (key := _source_key(making.taken.contact))})
    first = []
    for making in makings:
        key = _source_key(making.taken.contact)
        if key is None or key not in seen:
            first.append(making)
        if key is not None:
            seen.add(key)
    return first


SourceKey = tuple[int, str, str]  # force, channel, source reference


def _delivered(keys: set[SourceKey]) -> set[SourceKey]:
    """Which of ``keys`` were delivered before: one query for them all."""
    if not keys:
        return set()
    delivered = Contact.objects.filter(
        force_id__in={force_id for force_id, _, _ in keys}, source_reference__in={ref for _, _, ref in keys}
    ).only("force_id", "channel", "source_reference")
    return {(contact.force_id, contact.channel, contact.source_reference) for contact in delivered} & keys


def _source_key(contact: Contact) -> SourceKey | None:
    return (contact.force_id, contact.channel, contact.source_reference) if contact.source_reference else None


def _repeat(making: Making) -> Made:
    """A call delivered before: its incident, made now if the first delivery's contact has none."""
    contact = making.taken.contact
    first = _delivered_before(contact.force, contact.channel, contact.source_reference)
    assert first is not None  # _first_deliveries found it, in this transaction
    if first.incident_id is not None:
        return Made(Incident.objects.get(pk=first.incident_id), created=False)
    made = create_incident_from_contact(actor=making.taken.actor, contact=first, position=making.position)
    return Made(made, created=True)


_calls_writer: GroupWriter[Making, Made] = GroupWriter(_write_calls)


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
        about=locked,
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
) -> IncidentLogEntry:
    """Chain one entry onto an incident's log. Callers hold the incident row's lock (services
    lock it first), so entries of one incident are chained one after another."""
    with transaction.atomic(savepoint=False):  # part of the caller's transaction, whole or not at all
        head = Incident.objects.select_for_update().only("log_length", "last_log_hash").get(pk=incident.pk)
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
