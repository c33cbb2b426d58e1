"""Contacts from every channel: idempotent intake, audit of caller details, resolution,
linking, turning a contact into an incident with nothing re-typed, and duplicate offers."""

from __future__ import annotations

import datetime as dt

import pytest

from bluelamp.control.contacts import services as contact_services
from bluelamp.control.incidents import selectors as incident_selectors
from bluelamp.control.incidents import services as incident_services
from bluelamp.control.models import Contact
from bluelamp.core.errors import Conflict, InvalidInput, PermissionDenied
from bluelamp.core.models import AuditEntry, User
from tests.control.conftest import (
    NEAR_TRAFALGAR,
    ST_PAULS,
    TRAFALGAR_SQUARE,
    clock,
    london_time,
    new_incident,
    take_call,
)

pytestmark = pytest.mark.django_db

ONLINE_REPORT = {
    "channel": "online",
    "caller_name": "Robin Reporter",
    "caller_phone": "",
    "description": "My bike was stolen from outside the station",
    "category": "crime.theft",
    "qualifiers": [],
    "details": {"what_was_stolen": "Blue road bike", "when": "2026-11-21T18:00", "serial_number": "WTU123"},
    "source_reference": "SOH-2026-000123",
}


def test_a_call_is_placed_in_its_borough_bcu_and_h3_cell_and_audited(handler: User) -> None:
    contact = take_call(handler)
    assert (contact.borough.name, contact.bcu.code) == ("Westminster", "CW")  # type: ignore[union-attr]
    assert len(contact.h3_cell) == 15
    assert contact.received_by == "ch.met"
    entry = AuditEntry.objects.get(record_type="control.contact")
    assert (entry.operation, entry.record_ids, entry.actor) == ("collection", [str(contact.pk)], handler)


def test_a_point_in_another_forces_area_keeps_its_coordinates_only(handler: User) -> None:
    contact = take_call(handler, where=ST_PAULS)
    assert (contact.lat, contact.borough, contact.bcu) == (ST_PAULS[0], None, None)


def test_a_contact_needs_a_place_and_a_known_category(handler: User) -> None:
    with pytest.raises(InvalidInput, match="address or a map point"):
        take_call(handler, address="", lat=None, lon=None)
    with pytest.raises(InvalidInput, match="not an NSIR category"):
        take_call(handler, category="crime.piracy")
    with pytest.raises(InvalidInput, match="not a channel"):
        take_call(handler, channel="pigeon")
    assert not Contact.objects.exists()


def test_a_repeated_delivery_gives_the_same_contact(handler: User) -> None:
    first = contact_services.receive_contact(
        actor=handler, contact=contact_services.NewContact(address="Victoria station", **ONLINE_REPORT)
    )
    again = contact_services.receive_contact(
        actor=handler, contact=contact_services.NewContact(address="Victoria station", **ONLINE_REPORT)
    )
    assert (first.created, again.created, again.contact.pk) == (True, False, first.contact.pk)
    assert Contact.objects.count() == 1
    assert AuditEntry.objects.filter(record_type="control.contact").count() == 1
    other_channel = contact_services.receive_contact(
        actor=handler, contact=contact_services.NewContact(address="x", **ONLINE_REPORT | {"channel": "101"})
    )
    assert other_channel.created


def test_an_online_report_becomes_an_incident_with_every_answer_copied(handler: User) -> None:
    contact = contact_services.receive_contact(
        actor=handler, contact=contact_services.NewContact(address="Victoria station", **ONLINE_REPORT)
    ).contact
    incident = contact_services.create_incident_from_contact(actor=handler, contact=contact)
    assert (incident.opening_category, incident.description, incident.address) == (
        "crime.theft",
        ONLINE_REPORT["description"],
        "Victoria station",
    )
    assert incident.details == ONLINE_REPORT["details"]
    entry = incident.log.get()
    assert (entry.kind, entry.operator) == ("automatic", handler)
    assert "Robin Reporter" not in f"{entry.text} {entry.data}"  # who reported stays on the contact
    assert "serial_number: WTU123" in entry.text
    assert entry.data["from_contact"]["details"] == ONLINE_REPORT["details"]
    contact.refresh_from_db()
    assert (contact.outcome, contact.incident) == ("incident", incident)
    assert AuditEntry.objects.filter(record_type="control.incident", record_ids=[str(incident.pk)]).exists()


def test_a_contact_is_resolved_once(handler: User) -> None:
    contact = take_call(handler)
    with pytest.raises(InvalidInput, match="not a resolution"):
        contact_services.resolve_contact(actor=handler, contact=contact, resolution_code="shrug")
    resolved = contact_services.resolve_contact(
        actor=handler, contact=contact, resolution_code="signposting", note="Council"
    )
    assert (resolved.outcome, resolved.resolution_code, resolved.resolution_note) == (
        "resolved",
        "signposting",
        "Council",
    )
    with pytest.raises(Conflict, match="already resolved"):
        contact_services.create_incident_from_contact(actor=handler, contact=contact)


def test_linking_puts_the_contact_in_the_incidents_log(handler: User) -> None:
    incident = new_incident(handler)
    second_call = take_call(handler, caller_name="Alex Second", description="Fight outside the pub")
    contact_services.link_contact(actor=handler, contact=second_call, incident=incident, position="CW call handling 7")
    second_call.refresh_from_db()
    assert (second_call.outcome, second_call.incident) == ("linked", incident)
    entry = incident.log.last()
    assert entry is not None
    assert entry.position == "CW call handling 7"
    assert "Fight outside the pub" in entry.text
    assert "Alex Second" not in entry.text  # who called stays on the contact


def test_only_those_allowed_take_contacts(dispatcher: User) -> None:
    with pytest.raises(PermissionDenied):
        take_call(dispatcher)


def test_possible_duplicates_are_open_incidents_near_in_place_and_time(handler: User, dispatcher: User) -> None:
    with clock(london_time(2026, 11, 22, 21, 0)):
        near = new_incident(handler, where=NEAR_TRAFALGAR)
        far = new_incident(handler, where=(51.5155, -0.1419))  # Oxford Circus, about 1.4 km
        closed = new_incident(handler)
        incident_services.transition_incident(
            actor=dispatcher, incident=closed, to="closed", closing_category="crime.other", closing_result="x"
        )
    with clock(london_time(2026, 11, 22, 19, 30)):
        earlier = new_incident(handler)  # 90 minutes before: outside the window
    with clock(london_time(2026, 11, 22, 21, 40)):
        call = take_call(handler, where=TRAFALGAR_SQUARE)
    found = incident_selectors.possible_duplicates(actor=handler, contact=call)
    assert [n.incident for n in found] == [near]
    assert 90 < found[0].metres < 110
    assert found[0].minutes_apart == 40
    wider = incident_selectors.possible_duplicates(actor=handler, contact=call, radius_metres=2000, window_minutes=180)
    assert {n.incident for n in wider} == {near, far, earlier}
    assert earlier not in [n.incident for n in incident_selectors.possible_duplicates(actor=handler, contact=call)]
    assert far.pk != closed.pk


def test_duplicates_leave_other_forces_out(handler: User, city_handler: User) -> None:
    new_incident(city_handler, where=TRAFALGAR_SQUARE)  # a City incident at the same point
    call = take_call(handler)
    assert incident_selectors.possible_duplicates(actor=handler, contact=call) == []


def test_haversine_distance() -> None:
    # One degree of latitude is about 111.2 km.
    assert incident_selectors.haversine_metres(51.0, 0.0, 52.0, 0.0) == pytest.approx(111_195, rel=1e-3)
    assert dt.timedelta(minutes=1).total_seconds() == 60
