"""Writes to the POLE store. One function per change, keyword-only, each in one transaction:
it checks the actor's permission and force, writes the audit entry where personal data is
processed (DPA 2018 s.62: a new person is a collection; a link or marker on a person is an
alteration of their record) and emits the event (a service of several steps emits its events
together, in one statement). Other systems feed POLE through these functions: the control room
sends its incidents, each at its place, to :func:`record_events_at_places` (idempotent on each
incident's own reference); people and vehicles go through :func:`find_or_create_person`,
:func:`find_or_create_vehicle` and :func:`link`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from bluelamp.core import audit
from bluelamp.core.access import Actor, require
from bluelamp.core.db.rows import insert_rows, placeholders, select_rows
from bluelamp.core.errors import InvalidInput, NotFound
from bluelamp.core.events import emit, emit_all
from bluelamp.core.events import event as new_event
from bluelamp.core.geography import check_lat_lon
from bluelamp.core.models import AuditEntry, Force, OutboxEvent, User
from bluelamp.core.selectors import borough_at
from bluelamp.pole import catalogue, nearby
from bluelamp.pole.models import Event, Link, Location, Object, Person, WarningMarker
from bluelamp.pole.months import add_months

PERSON = "pole.person"  # the audit trail's record type for a person's record
# Two reports of the same address this close together are the same place (GPS and geocoders
# disagree by a few metres).
REUSE_WITHIN_M = 10.0
M = TypeVar("M", bound=models.Model)
R = TypeVar("R")


def _own_force(actor: Actor, force_id: int) -> None:
    """Writes only ever go to the actor's own force; another force's records are not there."""
    if actor.force_id != force_id:
        raise NotFound("No such record in your force's POLE store.")


def _user_or_none(actor: Actor) -> User | None:
    """The member of staff behind ``actor`` (an API client has none)."""
    return actor if isinstance(actor, User) else None


def _known(code: str, choices: Callable[[], list[tuple[str, str]]], what: str) -> str:
    codes = [value for value, _ in choices()]
    if code not in codes:
        raise InvalidInput(f"{code!r} is not a {what}: use one of {', '.join(codes)}.")
    return code


def _emitting_once(write: Callable[[list[OutboxEvent]], R]) -> R:
    """What ``write(emitting)`` returns, once the events it put in ``emitting`` are emitted in one
    statement: a service made of several steps writes one outbox row set, not one per step."""
    emitting: list[OutboxEvent] = []
    written = write(emitting)
    emit_all(emitting)
    return written


def _create_or_existing(create: Callable[[], M], existing: Callable[[], M | None]) -> tuple[M, bool]:
    """Create a row; if a concurrent writer created the same one first (a unique constraint
    fails), return theirs. Makes the find-or-create services safe to call twice at once."""
    try:
        with transaction.atomic():
            return create(), True
    except IntegrityError:
        found = existing()
        if found is None:
            raise
        return found, False


def _audit_person(operation: str, *, actor: Actor, person: Person, **details: Any) -> None:
    audit.append([_person_entry(operation, actor=actor, person=person, **details)])


def _person_entry(operation: str, *, actor: Actor, person: Person, **details: Any) -> AuditEntry:
    return audit.prepare(
        operation=operation,
        actor=actor,
        record_type=PERSON,
        record_ids=[person.pk],
        force=person.force,
        details=details,
    )


# Events ------------------------------------------------------------------------------------

EVENT_FIELDS = ("kind", "occurred_at", "title", "status", "location", "open")


@transaction.atomic
def record_event(
    *,
    actor: Actor,
    force: Force,
    kind: str,
    source_system: str,
    source_id: str,
    occurred_at: dt.datetime,
    title: str,
    status: str = "",
    location: Location | None = None,
    open: bool = True,
) -> Event:
    """Record an event owned by ``source_system`` under its reference ``source_id``, or bring
    the stored copy up to date: calling it again with the same reference never duplicates."""
    given = EventIn(kind, source_system, source_id, occurred_at, title, status, location, open)
    return record_events(actor=actor, force=force, events=[given])[0]


@dataclass(frozen=True)
class EventIn:
    """An event as :func:`record_event` takes it. ``source_new``: the source's record was made in
    the caller's transaction, so POLE cannot hold it yet and no other transaction can record it
    (nothing is read for it first, and no savepoint guards its insert)."""

    kind: str
    source_system: str
    source_id: str
    occurred_at: dt.datetime
    title: str
    status: str = ""
    location: Location | None = None
    open: bool = True
    source_new: bool = False

    def checked(self, force: Force) -> tuple[tuple[str, str], dict[str, Any]]:
        """Its key (source system, reference) and its values, or InvalidInput."""
        _known(self.kind, catalogue.event_kinds, "kind of event")
        source_system, source_id, title = self.source_system.strip(), str(self.source_id).strip(), self.title.strip()
        if not (source_system and source_id and title):
            raise InvalidInput("An event needs the source system, its reference there and a title.")
        if self.location is not None and self.location.force_id != force.pk:
            raise InvalidInput("The location belongs to another force.")
        values = {
            "kind": self.kind,
            "occurred_at": self.occurred_at,
            "title": title,
            "status": self.status.strip(),
            "location": self.location,
            "open": self.open,
        }
        return (source_system, source_id), values


@transaction.atomic
def record_events(*, actor: Actor, force: Force, events: Sequence[EventIn]) -> list[Event]:
    """:func:`record_event` for many events of ``force`` at once: the stored copies are read in
    one query and the new events written in one statement."""
    return _emitting_once(partial(_record_events, actor, force, events))[0]


def _record_events(
    actor: Actor, force: Force, events: Sequence[EventIn], emitting: list[OutboxEvent]
) -> tuple[list[Event], list[Event]]:
    """The events in the order given, and those of them made here."""
    _own_force(actor, force.pk)
    given = [event.checked(force) for event in events]
    new = {key for (key, _), event in zip(given, events, strict=True) if event.source_new}
    stored = {_event_key(event): event for event in _stored_events(force, [key for key, _ in given if key not in new])}
    if any(key not in stored for key, _ in given):
        require(actor, "pole.add_event")
    made = _create_missing(
        [
            Event(force=force, source_system=system, source_id=source_id, **values)
            for (system, source_id), values in given
        ],
        _event_key,
        stored,
        lambda row: Event.objects.filter(force=force, source_system=row.source_system, source_id=row.source_id).first(),
        contested=any(key not in new for key, _ in given),
    )
    fresh = {_event_key(row) for row in made}
    results = []
    for key, values in given:
        if key in fresh:  # its first time in ``events``: made just now with these values
            fresh.discard(key)
            results.append(stored[key])
        else:
            results.append(_update_event(actor, stored[key], values, emitting))
    emitting += [
        new_event("pole.event.recorded", force=force, event_id=row.pk, source=f"{row.source_system}:{row.source_id}")
        for row in made
    ]
    return results, made


def _stored_events(force: Force, keys: list[tuple[str, str]]) -> list[Event]:
    """The force's events with any of these keys' systems and ids, locked: on the feed's path
    (every change of an incident's status), so a query compiled once."""
    if not keys:
        return []
    systems, source_ids = list({system for system, _ in keys}), list({source_id for _, source_id in keys})
    return select_rows(
        Event,
        f"force_id = %s AND source_system IN ({placeholders(systems)}) AND source_id IN ({placeholders(source_ids)})",
        [force.pk, *systems, *source_ids],
        lock=True,
    )


def _event_key(event: Event) -> tuple[str, str]:
    return (event.source_system, event.source_id)


K = TypeVar("K")


def _create_missing(
    rows: list[M],
    key: Callable[[M], K],
    stored: dict[K, M],
    existing: Callable[[M], M | None],
    *,
    contested: bool = True,
) -> list[M]:
    """Insert the ``rows`` whose key is not in ``stored`` (the first of each key), add them to
    ``stored``, and return those made here (see :func:`_create_all`)."""
    missing: dict[K, M] = {}
    for row in rows:
        if key(row) not in stored:
            missing.setdefault(key(row), row)
    pairs = _create_all(list(missing.values()), existing, contested=contested)
    stored |= {key(row): row for row, _ in pairs}
    return [row for row, created in pairs if created]


def _create_all(rows: list[M], existing: Callable[[M], M | None], *, contested: bool = True) -> list[tuple[M, bool]]:
    """Insert ``rows`` in one statement: each row, and True. If a concurrent writer made one of
    them first (a unique constraint fails), go one by one as :func:`_create_or_existing` does:
    the other writer's row (found by ``existing``) and False for those.

    ``contested=False``: no other transaction can write these rows (they hang from rows made in
    this one, which nobody else can see yet), so no savepoint is taken to catch one that did."""
    if not rows:
        return []
    if not contested:
        return [(row, True) for row in insert_rows(rows)]
    try:
        with transaction.atomic():
            return [(row, True) for row in insert_rows(rows)]
    except IntegrityError:
        return [_create_or_existing(partial(_inserted, row), partial(existing, row)) for row in rows]


def _inserted(row: M) -> M:
    row.save(force_insert=True)
    return row


def _update_event(actor: Actor, event: Event, values: dict[str, Any], emitting: list[OutboxEvent]) -> Event:
    changed = sorted(name for name in EVENT_FIELDS if getattr(event, name) != values[name])
    if not changed:
        return event
    require(actor, "pole.change_event")
    for name in changed:
        setattr(event, name, values[name])
    event.save()
    emitting.append(new_event("pole.event.updated", force=event.force, event_id=event.pk, fields=changed))
    return event


# Locations ---------------------------------------------------------------------------------


def _same_place(candidate: Location, *, address_key: str, uprn: int | None, lat: float, lon: float) -> bool:
    if uprn is not None and candidate.uprn is not None and candidate.uprn != uprn:
        return False
    close = nearby.haversine_m(lat, lon, candidate.lat, candidate.lon) <= REUSE_WITHIN_M
    return close and candidate.address_key == address_key


@transaction.atomic
def find_or_create_location(
    *, actor: Actor, force: Force, address: str, lat: float, lon: float, uprn: int | None = None, postcode: str = ""
) -> Location:
    """The force's location for this place: the one with the same UPRN, or the same address
    within :data:`REUSE_WITHIN_M` metres, else a new one with its h3 cell, borough and BCU."""
    where = PlaceIn(address, lat, lon, uprn, postcode)
    return find_or_create_locations(actor=actor, force=force, places=[where])[0]


@dataclass(frozen=True)
class PlaceIn:
    """A place as :func:`find_or_create_location` takes it."""

    address: str
    lat: float
    lon: float
    uprn: int | None = None
    postcode: str = ""

    @property
    def address_key(self) -> str:
        return catalogue.normalise_address(self.address)[:255]


@transaction.atomic
def find_or_create_locations(*, actor: Actor, force: Force, places: Sequence[PlaceIn]) -> list[Location]:
    """:func:`find_or_create_location` for many places of ``force`` at once: the locations near
    any of them are read in one query and the new ones written in one statement. Places that
    are the same place get the same location."""
    return _emitting_once(partial(_find_or_create_locations, actor, force, places))


def _find_or_create_locations(
    actor: Actor, force: Force, places: Sequence[PlaceIn], emitting: list[OutboxEvent]
) -> list[Location]:
    _own_force(actor, force.pk)
    require(actor, "pole.add_location")
    for where in places:
        check_lat_lon(where.lat, where.lon)
    known = list(_near_any(force, places))
    new: list[Location] = []
    results = []
    for where in places:
        found = _same_location(known, where) or _same_location(new, where)
        if found is None:
            found = _new_location(force, where)
            new.append(found)
        results.append(found)
    insert_rows(new)
    emitting += [
        new_event("pole.location.created", force=force, location_id=row.pk, h3_cell=row.h3_cell) for row in new
    ]
    return results


def _near_any(force: Force, places: Sequence[PlaceIn]) -> list[Location]:
    """The force's locations that could be one of ``places``, oldest first: in their h3 cells,
    or with their UPRNs. On every new incident's path, so a query compiled once."""
    cells = list({cell for where in places for cell in nearby.cells_within(where.lat, where.lon, REUSE_WITHIN_M)})
    uprns = list({where.uprn for where in places if where.uprn is not None})
    if not cells:
        return []
    where = f"h3_cell IN ({placeholders(cells)})" + (f" OR uprn IN ({placeholders(uprns)})" if uprns else "")
    return select_rows(Location, f"force_id = %s AND ({where}) ORDER BY id", [force.pk, *cells, *uprns])


def _same_location(candidates: list[Location], where: PlaceIn) -> Location | None:
    """The first (oldest) of ``candidates`` that is ``where``: the same UPRN, wherever the
    caller's point fell (a UPRN names one property), else the same address close by."""
    if where.uprn is not None:
        same_property = next((c for c in candidates if c.uprn == where.uprn), None)
        if same_property is not None:
            return same_property
    key = where.address_key
    return next(
        (c for c in candidates if _same_place(c, address_key=key, uprn=where.uprn, lat=where.lat, lon=where.lon)),
        None,
    )


def _new_location(force: Force, where: PlaceIn) -> Location:
    borough = borough_at(force, where.lat, where.lon)
    return Location(
        force=force,
        address=where.address.strip(),
        address_key=where.address_key,
        postcode=where.postcode.strip().upper(),
        uprn=where.uprn,
        lat=where.lat,
        lon=where.lon,
        h3_cell=nearby.cell_of(where.lat, where.lon),
        borough=borough,
        bcu=borough.bcu if borough else None,
    )


# Persons and objects -----------------------------------------------------------------------


@transaction.atomic
def find_or_create_person(
    *,
    actor: Actor,
    force: Force,
    surname: str,
    forenames: str = "",
    date_of_birth: dt.date | None = None,
    gender: str = "",
    description: str = "",
    aliases: Iterable[str] = (),
) -> Person:
    """The force's person with exactly this name and date of birth, else a new one. Matching
    is deliberately exact: deciding that two records are one real person is the golden
    nominal's job (with its own review), not a side effect of taking a call."""
    _own_force(actor, force.pk)
    require(actor, "pole.add_person")
    surname, forenames = surname.strip(), forenames.strip()
    if not surname:
        raise InvalidInput("A person needs at least a surname (use 'Unknown' if it is not known).")
    existing = Person.objects.filter(
        force=force, surname__iexact=surname, forenames__iexact=forenames, date_of_birth=date_of_birth
    )
    found = existing.order_by("pk").first()
    if found is not None:
        return found
    person = Person.objects.create(
        force=force,
        surname=surname,
        forenames=forenames,
        date_of_birth=date_of_birth,
        gender=gender.strip(),
        description=description.strip(),
        aliases=[alias.strip() for alias in aliases if alias.strip()],
    )
    _audit_person(audit.Operation.COLLECTION, actor=actor, person=person)
    emit("pole.person.created", force=force, person_id=person.pk)
    return person


@transaction.atomic
def find_or_create_vehicle(
    *, actor: Actor, force: Force, plate: str, make: str = "", model: str = "", colour: str = ""
) -> Object:
    """The force's vehicle with this registration (normalised), else a new one. Make, model
    and colour fill in what is blank; they never overwrite what is recorded."""
    _own_force(actor, force.pk)
    require(actor, "pole.add_object")
    identifier = catalogue.normalise_plate(plate)
    if not identifier:
        raise InvalidInput(f"{plate!r} is not a registration mark: give its letters and digits.")
    key = {"force": force, "kind": catalogue.VEHICLE, "identifier": identifier}
    given = {"make": make.strip(), "model": model.strip(), "colour": colour.strip()}
    vehicle, created = _create_or_existing(
        lambda: Object.objects.create(**key, **given), lambda: Object.objects.filter(**key).first()
    )
    if created:
        emit("pole.object.created", force=force, object_id=vehicle.pk, kind=catalogue.VEHICLE)
        return vehicle
    filled = sorted(name for name, value in given.items() if value and not getattr(vehicle, name))
    if filled:
        for name in filled:
            setattr(vehicle, name, given[name])
        vehicle.save(update_fields=filled)
        emit("pole.object.updated", force=force, object_id=vehicle.pk, fields=filled)
    return vehicle


# Links -------------------------------------------------------------------------------------


def _one_target(person: Person | None, obj: Object | None, location: Location | None) -> Person | Object | Location:
    given = [target for target in (person, obj, location) if target is not None]
    if len(given) != 1:
        raise InvalidInput("Give exactly one person, object or location.")
    return given[0]


@transaction.atomic
def link(
    *,
    actor: Actor,
    event: Event,
    role: str,
    person: Person | None = None,
    object: Object | None = None,
    location: Location | None = None,
) -> Link:
    """Record that a person, object or location played ``role`` in ``event`` (once per role)."""
    return link_all(actor=actor, links=[LinkIn(event, role, person, object, location)])[0]


@dataclass(frozen=True)
class LinkIn:
    """A link as :func:`link` takes it."""

    event: Event
    role: str
    person: Person | None = None
    object: Object | None = None
    location: Location | None = None

    def row(self) -> Link:
        """The new link, once checked (InvalidInput)."""
        _known(self.role, catalogue.link_roles, "role")
        target = _one_target(self.person, self.object, self.location)
        if target.force_id != self.event.force_id:
            raise InvalidInput("The event and what is linked to it belong to different forces.")
        return Link(event=self.event, person=self.person, object=self.object, location=self.location, role=self.role)


LinkKey = tuple[int, int | None, int | None, int | None, str]


def _link_key(link: Link) -> LinkKey:
    return (link.event_id, link.person_id, link.object_id, link.location_id, link.role)


@transaction.atomic
def link_all(*, actor: Actor, links: Sequence[LinkIn]) -> list[Link]:
    """:func:`link` for many links at once: the events' links are read in one query and the new
    ones written in one statement."""
    return _emitting_once(partial(_link_all, actor, links))


def _link_all(
    actor: Actor, links: Sequence[LinkIn], emitting: list[OutboxEvent], *, new_events: Sequence[Event] = ()
) -> list[Link]:
    """``new_events``: events made in this transaction, which have no links yet to read."""
    for given in links:
        _own_force(actor, given.event.force_id)
    require(actor, "pole.add_link")
    rows = [given.row() for given in links]
    unread = {row.event_id for row in rows} - {event.pk for event in new_events}
    stored = {_link_key(row): row for row in Link.objects.filter(event__in=unread)} if unread else {}
    made = _create_missing(
        rows,
        _link_key,
        stored,
        lambda row: Link.objects.filter(**_link_fields(row)).first(),
        contested=bool(unread),  # links of events made in this transaction: nobody else can make them
    )
    audit.append(
        [
            _person_entry(
                audit.Operation.ALTERATION, actor=actor, person=row.person, event_id=row.event_id, role=row.role
            )
            for row in made
            if row.person is not None
        ]
    )
    emitting += [
        new_event("pole.link.created", force=row.event.force, event_id=row.event_id, link_id=row.pk, role=row.role)
        for row in made
    ]
    return [stored[_link_key(row)] for row in rows]


# Events at their places ---------------------------------------------------------------------


@dataclass(frozen=True)
class EventAtPlace:
    """An event (its ``location`` left empty) and the place it happened, if known."""

    event: EventIn
    place: PlaceIn | None = None


@transaction.atomic
def record_events_at_places(*, actor: Actor, force: Force, events: Sequence[EventAtPlace]) -> list[Event]:
    """Record events of ``force`` (as :func:`record_events`), each at its place, found or
    created (as :func:`find_or_create_locations`) and linked to the event as the ``scene`` (as
    :func:`link_all`): what a system that feeds POLE sends, such as the control room's incidents.
    One step, so inside a caller's transaction it takes one savepoint, not three, and its
    events are written in one statement."""
    return _emitting_once(partial(_record_events_at_places, actor, force, events))


def _record_events_at_places(
    actor: Actor, force: Force, events: Sequence[EventAtPlace], emitting: list[OutboxEvent]
) -> list[Event]:
    placed = [(given, place) for given in events if (place := given.place) is not None]
    found = _find_or_create_locations(actor, force, [place for _, place in placed], emitting)
    location_of = {id(given): location for (given, _), location in zip(placed, found, strict=True)}
    recorded, made = _record_events(
        actor, force, [replace(given.event, location=location_of.get(id(given))) for given in events], emitting
    )
    scenes = [
        LinkIn(event, "scene", location=location_of[id(given)])
        for given, event in zip(events, recorded, strict=True)
        if id(given) in location_of
    ]
    if scenes:
        _link_all(actor, scenes, emitting, new_events=made)
    return recorded


def _link_fields(link: Link) -> dict[str, Any]:
    return {
        "event": link.event,
        "person": link.person,
        "object": link.object,
        "location": link.location,
        "role": link.role,
    }


# Warning markers -----------------------------------------------------------------------------


@transaction.atomic
def add_marker(
    *,
    actor: Actor,
    marker_type: str,
    detail: str = "",
    review_on: dt.date | None = None,
    person: Person | None = None,
    object: Object | None = None,
    location: Location | None = None,
) -> WarningMarker:
    """Put a warning marker on a person, object or location. Without ``review_on`` it is due
    for review after the type's default period (``data/warning_markers.json``)."""
    subject = _one_target(person, object, location)
    _own_force(actor, subject.force_id)
    require(actor, "pole.add_warningmarker")
    _known(marker_type, catalogue.marker_types, "warning marker type")
    now = timezone.now()
    review_on = review_on or add_months(timezone.localdate(now), catalogue.review_months(marker_type))
    if review_on < timezone.localdate(now):
        raise InvalidInput("The review date is in the past: give a date from today on.")
    marker = WarningMarker.objects.create(
        force_id=subject.force_id,
        person=person,
        object=object,
        location=location,
        marker_type=marker_type,
        detail=detail.strip(),
        review_on=review_on,
        added_by=_user_or_none(actor),
        added_at=now,
    )
    if person is not None:
        _audit_person(audit.Operation.ALTERATION, actor=actor, person=person, marker_id=marker.pk, added=marker_type)
    emit("pole.marker.added", force=marker.force, marker_id=marker.pk, marker_type=marker_type)
    return marker


@transaction.atomic
def end_marker(*, actor: Actor, marker: WarningMarker, reason: str) -> WarningMarker:
    """End a marker that no longer applies (it stays on record, no longer current)."""
    _own_force(actor, marker.force_id)
    require(actor, "pole.change_warningmarker")
    if marker.ended_at is not None:
        return marker
    if not reason.strip():
        raise InvalidInput("Say why the marker no longer applies.")
    marker.ended_at, marker.end_reason = timezone.now(), reason.strip()
    marker.ended_by = _user_or_none(actor)
    marker.save(update_fields=["ended_at", "end_reason", "ended_by"])
    if marker.person is not None:
        _audit_person(audit.Operation.ALTERATION, actor=actor, person=marker.person, marker_id=marker.pk, ended=True)
    emit("pole.marker.ended", force=marker.force, marker_id=marker.pk, marker_type=marker.marker_type)
    return marker
