"""Writes: idempotent events from other systems, re-used locations, persons and vehicles,
links and markers, each audited where it touches a person and each emitting its event."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError

from bluelamp.core.errors import InvalidInput, NotFound, PermissionDenied
from bluelamp.core.models import AuditEntry, Force, OutboxEvent, User
from bluelamp.pole import services
from bluelamp.pole.models import Event, Link, Location, Object, WarningMarker
from tests.pole.conftest import AT, HERE, offset

pytestmark = pytest.mark.django_db


def incident(actor: User, force: Force, source_id: str = "4711", **changes: object) -> Event:
    values: dict[str, object] = {
        "kind": "incident",
        "source_system": "control",
        "source_id": source_id,
        "occurred_at": AT,
        "title": "Disturbance",
        "status": "open",
        **changes,
    }
    return services.record_event(actor=actor, force=force, **values)  # type: ignore[arg-type]


def test_recording_the_same_incident_twice_keeps_one_event_and_updates_it(handler: User, met: Force) -> None:
    first = incident(handler, met)
    again = incident(handler, met)
    closed = incident(handler, met, status="closed", open=False)
    assert first.pk == again.pk == closed.pk
    assert Event.objects.count() == 1
    assert (closed.status, closed.open) == ("closed", False)
    topics = list(OutboxEvent.objects.filter(topic__startswith="pole.event").values_list("topic", "payload"))
    assert topics == [
        ("pole.event.recorded", {"event_id": first.pk, "source": "control:4711"}),
        ("pole.event.updated", {"event_id": first.pk, "fields": ["open", "status"]}),
    ]


def test_the_same_reference_in_another_force_or_system_is_another_event(
    handler: User, city_handler: User, met: Force, city: Force
) -> None:
    incident(handler, met)
    incident(city_handler, city)
    incident(handler, met, source_system="online")
    assert Event.objects.count() == 3


def test_the_database_refuses_a_duplicate_source_reference(handler: User, met: Force) -> None:
    event = incident(handler, met)
    with pytest.raises(IntegrityError):
        Event.objects.create(
            force=met, kind="incident", source_system="control", source_id="4711", occurred_at=AT, title=event.title
        )


def test_events_need_a_known_kind_and_the_permission_and_go_to_the_own_force(
    handler: User, analyst: User, met: Force, city: Force
) -> None:
    with pytest.raises(InvalidInput, match="not a kind of event"):
        incident(handler, met, kind="riot")
    with pytest.raises(PermissionDenied):
        incident(analyst, met)
    with pytest.raises(NotFound):
        incident(handler, city)


def test_a_location_is_reused_for_the_same_address_a_few_metres_away(handler: User, met: Force) -> None:
    place = services.find_or_create_location(
        actor=handler, force=met, address="20 Dean's Yard, London", lat=HERE[0], lon=HERE[1]
    )
    near = offset(6)
    again = services.find_or_create_location(
        actor=handler, force=met, address="20 DEANS YARD LONDON", lat=near[0], lon=near[1]
    )
    far = offset(30)
    other = services.find_or_create_location(
        actor=handler, force=met, address="20 Dean's Yard, London", lat=far[0], lon=far[1]
    )
    next_door = services.find_or_create_location(
        actor=handler, force=met, address="21 Dean's Yard", lat=HERE[0], lon=HERE[1]
    )
    assert again.pk == place.pk
    assert len({place.pk, other.pk, next_door.pk}) == 3
    assert (place.borough.name, place.bcu.code) == ("Westminster", "CW")  # type: ignore[union-attr]
    assert place.h3_cell
    assert len(place.h3_cell) == 15


def test_a_uprn_names_one_property_wherever_the_point_fell(handler: User, met: Force) -> None:
    place = services.find_or_create_location(
        actor=handler, force=met, address="Flat 1", lat=HERE[0], lon=HERE[1], uprn=100023336956
    )
    far = offset(40)
    same = services.find_or_create_location(
        actor=handler, force=met, address="Flat 1, the block", lat=far[0], lon=far[1], uprn=100023336956
    )
    different = services.find_or_create_location(
        actor=handler, force=met, address="Flat 1", lat=HERE[0], lon=HERE[1], uprn=1
    )
    assert same.pk == place.pk
    assert different.pk != place.pk


def test_a_location_outside_the_force_area_has_no_borough(handler: User, met: Force) -> None:
    city_point = (51.5155, -0.0922)  # Guildhall, City of London
    place = services.find_or_create_location(
        actor=handler, force=met, address="Guildhall", lat=city_point[0], lon=city_point[1]
    )
    assert place.borough is None
    assert place.bcu is None


def test_a_new_person_is_a_collection_and_the_same_person_is_found_again(handler: User, met: Force) -> None:
    person = services.find_or_create_person(
        actor=handler,
        force=met,
        surname="Specimen",
        forenames="Jo",
        date_of_birth=dt.date(1990, 1, 2),
        aliases=["JJ", " "],
    )
    again = services.find_or_create_person(
        actor=handler, force=met, surname="SPECIMEN", forenames="jo", date_of_birth=dt.date(1990, 1, 2)
    )
    other = services.find_or_create_person(actor=handler, force=met, surname="Specimen", forenames="Jo")
    assert again.pk == person.pk != other.pk
    assert person.aliases == ["JJ"]
    entries = AuditEntry.objects.filter(record_type="pole.person", operation="collection")
    assert [entry.record_ids for entry in entries] == [[str(person.pk)], [str(other.pk)]]
    assert "Specimen" not in str(person)


def test_a_vehicle_is_found_by_its_plate_however_it_is_written(handler: User, met: Force) -> None:
    car = services.find_or_create_vehicle(actor=handler, force=met, plate="ab12 cde")
    again = services.find_or_create_vehicle(actor=handler, force=met, plate="AB-12-CDE", make="Ford", colour="Blue")
    assert car.pk == again.pk
    assert (again.identifier, again.make, again.colour) == ("AB12CDE", "Ford", "Blue")
    services.find_or_create_vehicle(actor=handler, force=met, plate="AB12CDE", make="Vauxhall")
    assert Object.objects.get().make == "Ford"  # recorded details are not overwritten
    with pytest.raises(InvalidInput):
        services.find_or_create_vehicle(actor=handler, force=met, plate=" - ")


def test_links_name_exactly_one_thing_once_per_role_and_linking_a_person_is_audited(handler: User, met: Force) -> None:
    event = incident(handler, met)
    person = services.find_or_create_person(actor=handler, force=met, surname="Caller")
    car = services.find_or_create_vehicle(actor=handler, force=met, plate="AB12CDE")
    first = services.link(actor=handler, event=event, person=person, role="caller")
    again = services.link(actor=handler, event=event, person=person, role="caller")
    services.link(actor=handler, event=event, person=person, role="witness")
    services.link(actor=handler, event=event, object=car, role="used")
    assert first.pk == again.pk
    assert Link.objects.count() == 3
    alterations = AuditEntry.objects.filter(record_type="pole.person", operation="alteration")
    assert [entry.details["role"] for entry in alterations] == ["caller", "witness"]
    with pytest.raises(InvalidInput, match="exactly one"):
        services.link(actor=handler, event=event, person=person, object=car, role="subject")
    with pytest.raises(InvalidInput, match="not a role"):
        services.link(actor=handler, event=event, person=person, role="bystander")
    with pytest.raises(IntegrityError):
        Link.objects.create(event=event, role="subject")


def test_linking_across_forces_is_refused(handler: User, city_handler: User, met: Force, city: Force) -> None:
    event = incident(handler, met)
    city_person = services.find_or_create_person(actor=city_handler, force=city, surname="Elsewhere")
    with pytest.raises(InvalidInput, match="different forces"):
        services.link(actor=handler, event=event, person=city_person, role="suspect")


def test_a_marker_gets_the_default_review_date_and_ending_it_keeps_it_on_record(handler: User, met: Force) -> None:
    person = services.find_or_create_person(actor=handler, force=met, surname="Marked")
    marker = services.add_marker(actor=handler, person=person, marker_type="violence", detail="Assaulted staff")
    assert marker.review_on > dt.date.today() + dt.timedelta(days=360)
    assert (marker.added_by, marker.force) == (handler, met)
    with pytest.raises(InvalidInput, match="Say why"):
        services.end_marker(actor=handler, marker=marker, reason=" ")
    ended = services.end_marker(actor=handler, marker=marker, reason="Reviewed: no longer applies")
    assert ended.ended_at is not None
    assert ended.ended_by == handler
    assert WarningMarker.objects.count() == 1
    details = [
        entry.details for entry in AuditEntry.objects.filter(operation="alteration", record_ids=[str(person.pk)])
    ]
    assert details == [{"marker_id": marker.pk, "added": "violence"}, {"marker_id": marker.pk, "ended": True}]
    topics = list(OutboxEvent.objects.filter(topic__startswith="pole.marker").values_list("topic", flat=True))
    assert topics == ["pole.marker.added", "pole.marker.ended"]


def test_a_marker_on_a_place_is_not_a_person_record_so_it_is_not_audited(handler: User, met: Force) -> None:
    place = services.find_or_create_location(
        actor=handler, force=met, address="1 Dean's Yard", lat=HERE[0], lon=HERE[1]
    )
    services.add_marker(actor=handler, location=place, marker_type="dogs", review_on=dt.date.today())
    assert not AuditEntry.objects.exists()
    with pytest.raises(InvalidInput, match="not a warning marker type"):
        services.add_marker(actor=handler, location=place, marker_type="grumpy")
    with pytest.raises(InvalidInput, match="in the past"):
        services.add_marker(actor=handler, location=place, marker_type="dogs", review_on=dt.date(2000, 1, 1))
    assert Location.objects.count() == 1


# What a feed sends, again and again (the control room's incidents) ------------------------------


def test_places_are_found_again_a_few_metres_off_and_told_apart_by_address(handler: User, met: Force) -> None:
    def found(address: str, lat: float, lon: float) -> Location:
        return services.find_or_create_location(actor=handler, force=met, address=address, lat=lat, lon=lon)

    known = found("1 Whitehall", *HERE)
    far = offset(500)
    assert found("1 WHITEHALL", *offset(3)).pk == known.pk  # the known place, a few metres off
    downing = found("10 Downing Street", *far)
    assert found("10 downing street", *offset(2, origin=far)).pk == downing.pk != known.pk
    horse_guards = found("Horse Guards", *HERE)  # same point, another address: another place
    assert horse_guards.pk not in {known.pk, downing.pk}
    assert Location.objects.count() == 3
    created = OutboxEvent.objects.filter(topic="pole.location.created").values_list("payload__location_id", flat=True)
    assert sorted(created) == sorted({known.pk, downing.pk, horse_guards.pk})


def test_events_and_links_recorded_again_never_duplicate(handler: User, met: Force) -> None:
    place = services.find_or_create_location(actor=handler, force=met, address="1 Whitehall", lat=HERE[0], lon=HERE[1])
    first = incident(handler, met, source_id="1")
    again = services.record_event(
        actor=handler, force=met, kind="incident", source_system="control", source_id="1",
        occurred_at=AT, title="Incident 1", status="closed", location=place,
    )  # fmt: skip
    assert again.pk == first.pk  # stored before: brought up to date, not duplicated
    assert Event.objects.get(pk=first.pk).status == "closed"
    assert Event.objects.count() == 1
    assert OutboxEvent.objects.filter(topic="pole.event.recorded").count() == 1

    link = services.link(actor=handler, event=first, role="scene", location=place)
    assert services.link(actor=handler, event=first, role="scene", location=place).pk == link.pk
    assert Link.objects.count() == 1
    assert OutboxEvent.objects.filter(topic="pole.link.created").count() == 1
    with pytest.raises(InvalidInput, match="not a role"):
        services.link(actor=handler, event=first, role="bystander", location=place)
    assert Link.objects.count() == 1


def test_a_row_another_writer_made_first_is_taken_as_theirs(handler: User, met: Force) -> None:
    """What a find-or-create does when a concurrent writer inserted the same row after it looked
    (the unique constraint fails): it takes the other writer's row."""
    theirs = incident(handler, met, source_id="7")
    key = {"force": met, "kind": "incident", "source_system": "control", "source_id": "7"}
    taken, created = services._create_or_existing(
        lambda: Event.objects.create(**key, occurred_at=AT, title="-"), lambda: Event.objects.filter(**key).first()
    )
    assert (taken.pk, created) == (theirs.pk, False)
    assert Event.objects.count() == 1


def test_an_event_at_its_place_is_recorded_placed_and_linked_as_the_scene(handler: User, met: Force) -> None:
    def given(source_id: str) -> services.EventIn:
        return services.EventIn("incident", "control", source_id, AT, "Theft")

    whitehall = services.PlaceIn("1 Whitehall", *HERE)
    events = [
        services.record_event_at_place(actor=handler, force=met, event=given("1"), place=whitehall),
        services.record_event_at_place(actor=handler, force=met, event=given("2")),
        services.record_event_at_place(actor=handler, force=met, event=given("3"), place=whitehall),
    ]
    assert [e.source_id for e in events] == ["1", "2", "3"]
    topics = list(OutboxEvent.objects.filter(topic__startswith="pole.").order_by("pk").values_list("topic", flat=True))
    assert topics == [
        "pole.location.created", "pole.event.recorded", "pole.link.created",
        "pole.event.recorded", "pole.event.recorded", "pole.link.created",
    ]  # fmt: skip
    assert events[0].location is not None
    assert events[0].location == events[2].location  # one place, found again
    assert events[1].location is None
    assert sorted(Link.objects.filter(role="scene").values_list("event__source_id", flat=True)) == ["1", "3"]

    again = services.record_event_at_place(actor=handler, force=met, event=given("1"), place=whitehall)
    assert again.pk == events[0].pk  # fed twice: nothing new
    assert (Event.objects.count(), Location.objects.count(), Link.objects.count()) == (3, 1, 2)
