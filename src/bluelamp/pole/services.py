"""Writes to the POLE store. One function per change, keyword-only, each in one transaction:
it checks the actor's permission and force, writes the audit entry where personal data is
processed (DPA 2018 s.62: a new person is a collection; a link or marker on a person is an
alteration of their record) and emits the event. Other systems feed POLE through these
functions: the control room sends each incident at its place to :func:`record_event_at_place`
(idempotent on the incident's own reference); people and vehicles go through :func:`find_or_create_person`,
:func:`find_or_create_vehicle` and :func:`link`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from bluelamp.core import audit
from bluelamp.core.access import Actor, require
from bluelamp.core.errors import InvalidInput, NotFound
from bluelamp.core.events import emit
from bluelamp.core.geography import check_lat_lon
from bluelamp.core.models import Force, User
from bluelamp.core.selectors import borough_at
from bluelamp.pole import catalogue, nearby
from bluelamp.pole.models import Event, Link, Location, Object, Person, WarningMarker
from bluelamp.pole.months import add_months

PERSON = "pole.person"  # the audit trail's record type for a person's record
# Two reports of the same address this close together are the same place (GPS and geocoders
# disagree by a few metres).
REUSE_WITHIN_M = 10.0
M = TypeVar("M", bound=models.Model)


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
    audit.record(
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
    return _record_event(actor, force, given)


@dataclass(frozen=True)
class EventIn:
    """An event as :func:`record_event` takes it."""

    kind: str
    source_system: str
    source_id: str
    occurred_at: dt.datetime
    title: str
    status: str = ""
    location: Location | None = None
    open: bool = True

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


def _record_event(actor: Actor, force: Force, given: EventIn) -> Event:
    _own_force(actor, force.pk)
    (source_system, source_id), values = given.checked(force)
    key = {"force": force, "source_system": source_system, "source_id": source_id}
    stored = Event.objects.select_for_update().filter(**key).first()
    if stored is not None:
        return _update_event(actor, stored, values)
    require(actor, "pole.add_event")
    event, created = _create_or_existing(
        lambda: Event.objects.create(**key, **values), lambda: Event.objects.filter(**key).first()
    )
    if not created:  # recorded by a concurrent call meanwhile
        return _update_event(actor, event, values)
    emit("pole.event.recorded", force=force, event_id=event.pk, source=f"{source_system}:{source_id}")
    return event


def _update_event(actor: Actor, event: Event, values: dict[str, Any]) -> Event:
    changed = sorted(name for name in EVENT_FIELDS if getattr(event, name) != values[name])
    if not changed:
        return event
    require(actor, "pole.change_event")
    for name in changed:
        setattr(event, name, values[name])
    event.save()
    emit("pole.event.updated", force=event.force, event_id=event.pk, fields=changed)
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
    return _find_or_create_location(actor, force, PlaceIn(address, lat, lon, uprn, postcode))


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


def _find_or_create_location(actor: Actor, force: Force, where: PlaceIn) -> Location:
    _own_force(actor, force.pk)
    require(actor, "pole.add_location")
    check_lat_lon(where.lat, where.lon)
    found = _same_location(_near(force, where), where)
    if found is not None:
        return found
    location = _new_location(force, where)
    location.save()
    emit("pole.location.created", force=force, location_id=location.pk, h3_cell=location.h3_cell)
    return location


def _near(force: Force, where: PlaceIn) -> list[Location]:
    """The force's locations that could be ``where``, oldest first: in the h3 cells within
    reach, or with its UPRN."""
    near = Q(h3_cell__in=nearby.cells_within(where.lat, where.lon, REUSE_WITHIN_M))
    if where.uprn is not None:
        near |= Q(uprn=where.uprn)
    return list(Location.objects.filter(near, force=force).order_by("pk"))


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
    _own_force(actor, event.force_id)
    require(actor, "pole.add_link")
    _known(role, catalogue.link_roles, "role")
    if _one_target(person, object, location).force_id != event.force_id:
        raise InvalidInput("The event and what is linked to it belong to different forces.")
    fields = {"event": event, "person": person, "object": object, "location": location, "role": role}
    stored = Link.objects.filter(**fields).first()
    if stored is not None:
        return stored
    made, created = _create_or_existing(
        lambda: Link.objects.create(**fields), lambda: Link.objects.filter(**fields).first()
    )
    if created:
        if person is not None:
            _audit_person(audit.Operation.ALTERATION, actor=actor, person=person, event_id=event.pk, role=role)
        emit("pole.link.created", force=event.force, event_id=event.pk, link_id=made.pk, role=role)
    return made


# Events at their places ---------------------------------------------------------------------


@transaction.atomic
def record_event_at_place(*, actor: Actor, force: Force, event: EventIn, place: PlaceIn | None = None) -> Event:
    """Record an event of ``force`` (as :func:`record_event`) at its place, found or created (as
    :func:`find_or_create_location`) and linked to the event as the ``scene`` (as :func:`link`):
    what a system that feeds POLE sends, such as the control room's incidents."""
    if place is None:
        return _record_event(actor, force, event)
    location = _find_or_create_location(actor, force, place)
    recorded = _record_event(actor, force, replace(event, location=location))
    link(actor=actor, event=recorded, role="scene", location=location)
    return recorded


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
