"""Every reading of callers (contacts) and crews (people) in the control room is recorded in the
audit trail (DPA 2018 s.62): one consultation per page or answer, naming the records shown."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from bluelamp.control.models import Contact, Resource
from bluelamp.core.models import AuditEntry, Force, User
from tests.control.conftest import make_unit, new_incident, officer, take_call

pytestmark = pytest.mark.django_db
API = "/api/v1/control"


def consultations(record_type: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(operation="consultation", record_type=record_type).order_by("pk"))


def only_consultation(record_type: str) -> AuditEntry:
    (entry,) = consultations(record_type)
    return entry


def test_the_contact_page_records_its_reading(client: Client, handler: User) -> None:
    contact = take_call(handler)
    client.force_login(handler)
    page = client.get(reverse("control:contact", args=[contact.pk])).content.decode()
    assert "Sam Caller" in page
    entry = only_consultation("control.contact")
    assert (entry.actor, entry.record_ids, entry.details) == (handler, [str(contact.pk)], {"via": "contact page"})


def test_the_contact_api_records_its_reading(client: Client, handler: User) -> None:
    contact = take_call(handler)
    client.force_login(handler)
    assert client.get(f"{API}/contacts/{contact.pk}").json()["caller_name"] == "Sam Caller"
    assert only_consultation("control.contact").record_ids == [str(contact.pk)]


@pytest.mark.parametrize(("query", "via"), [("", "incident page"), ("?fragment=log", "incident log")])
def test_the_incident_page_records_the_reading_of_its_callers(
    client: Client, handler: User, query: str, via: str
) -> None:
    incident = new_incident(handler)
    caller = Contact.objects.get(incident=incident)
    client.force_login(handler)
    assert client.get(reverse("control:incident", args=[incident.pk]) + query).status_code == 200
    entry = only_consultation("control.contact")
    assert (entry.record_ids, entry.details) == ([str(caller.pk)], {"incident": incident.pk, "via": via})


def test_the_incident_api_records_the_reading_of_its_callers(client: Client, handler: User) -> None:
    incident = new_incident(handler)
    caller = Contact.objects.get(incident=incident)
    client.force_login(handler)
    assert client.get(f"{API}/incidents/{incident.pk}").status_code == 200
    entry = only_consultation("control.contact")
    assert (entry.record_ids, entry.details) == ([str(caller.pk)], {"incident": incident.pk, "via": "API"})


@pytest.fixture
def crewed(supervisor: User, met: Force, unit_reference_data: None) -> dict[str, Any]:
    people = [officer(met, name) for name in ("Patel", "Jones", "Brown")]
    units = [
        make_unit(supervisor, "MD21", "IRV", people[0], people[1]),
        make_unit(supervisor, "NH11", "FOOT", people[2], bcu="CN"),
        make_unit(supervisor, "MD99", "IRV"),  # no crew: nobody to name
    ]
    return {"people": people, "units": units}


def test_the_resource_board_records_one_consultation_naming_every_crew_member(
    client: Client, dispatcher: User, crewed: dict[str, Any]
) -> None:
    client.force_login(dispatcher)
    page = client.get(reverse("control:units")).content.decode()
    assert all(f"PC {name}" in page for name in ("Patel", "Jones", "Brown"))
    entry = only_consultation("business.people")
    assert sorted(entry.record_ids) == sorted(str(person.pk) for person in crewed["people"])
    units: list[Resource] = crewed["units"]
    assert sorted(entry.details["units"]) == sorted([units[0].pk, units[1].pk])
    assert entry.details["via"] == "resource board"
    client.get(reverse("control:units") + "?fragment=rows")  # the live refresh is a reading too
    assert len(consultations("business.people")) == 2


def test_a_unit_over_the_api_records_the_reading_of_its_crew(
    client: Client, dispatcher: User, crewed: dict[str, Any]
) -> None:
    client.force_login(dispatcher)
    unit = crewed["units"][0]
    assert len(client.get(f"{API}/units/{unit.pk}").json()["crew"]) == 2
    entry = only_consultation("business.people")
    assert sorted(entry.record_ids) == sorted(str(person.pk) for person in crewed["people"][:2])
    assert entry.details == {"units": [unit.pk], "via": "API"}


def test_nothing_shown_records_nothing(client: Client, dispatcher: User, unit_reference_data: None) -> None:
    client.force_login(dispatcher)
    assert client.get(reverse("control:units")).status_code == 200
    assert consultations("business.people") == []
