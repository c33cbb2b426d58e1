"""The control-room screens through Django's test client: taking a call, the queue, an incident
and its forms — happy paths, errors, permissions, force scoping and stale versions."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from bluelamp.control.incidents import grading
from bluelamp.control.incidents import services as incident_services
from bluelamp.control.models import Contact, Incident, IncidentLogEntry
from bluelamp.core import selectors as core_selectors
from bluelamp.core import services as core_services
from bluelamp.core.models import Force, User
from tests.control.conftest import ALL_LOW, HIGH_THREAT, TRAFALGAR_SQUARE, MakeUser, new_incident, take_call

pytestmark = pytest.mark.django_db

CALL = {
    "channel": "999",
    "caller_name": "Sam Caller",
    "caller_phone": "07700 900123",
    "address": "Trafalgar Square",
    "lat": str(TRAFALGAR_SQUARE[0]),
    "lon": str(TRAFALGAR_SQUARE[1]),
    "description": "Two men fighting, one has a bottle",
    "category": "crime.violence",
    "qualifiers": ["alcohol"],
    "position": "CW call handling 4",
    "action": "save",
}


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def thrive_post(version: int, levels: dict[str, str], **extra: str) -> dict[str, str]:
    data = {f"thrive-{d}": level for d, level in levels.items()}
    return {"thrive-expected_version": str(version), **data, **{f"thrive-{k}": v for k, v in extra.items()}}


# Taking a call ------------------------------------------------------------------------------


def test_take_call_page_shows_the_form(handler_client: Client) -> None:
    page = handler_client.get(reverse("control:take-call"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Take a call" in html
    assert 'name="category"' in html
    assert "Violence" in html  # NSIR categories from the rules data


def test_taking_a_call_saves_the_contact_and_offers_what_next(handler_client: Client, handler: User) -> None:
    done = handler_client.post(reverse("control:take-call"), CALL)
    contact = Contact.objects.get()
    assert done.status_code == 302
    assert done["Location"] == reverse("control:contact", args=[contact.pk])
    assert (contact.caller_name, contact.category, contact.qualifiers) == ("Sam Caller", "crime.violence", ["alcohol"])
    assert contact.bcu is not None  # worked out from the point, not typed
    page = handler_client.get(done["Location"])
    html = page.content.decode()
    assert "Make a new incident" in html
    assert "Resolve without an incident" in html
    assert "History at this place" in html  # the POLE panel, the handler holds pole.view_history


def test_errors_are_summarised_and_nothing_is_saved(handler_client: Client) -> None:
    bad = CALL | {"description": "", "lat": "51.5", "lon": "", "address": "", "category": "asb", "qualifiers": []}
    page = handler_client.post(reverse("control:take-call"), bad)
    html = page.content.decode()
    assert page.status_code == 200
    assert "There is a problem" in html
    assert '<a href="#description">Enter what is happening</a>' in html
    assert "Enter both latitude and longitude, or neither" in html
    assert "needs exactly one of these qualifiers" in html
    assert 'class="govuk-textarea govuk-textarea--error"' in html
    assert "<title>Error: Take a call" in html
    assert Contact.objects.count() == 0


def test_check_history_shows_the_panel_without_saving(handler_client: Client) -> None:
    page = handler_client.post(reverse("control:take-call"), CALL | {"action": "history", "description": ""})
    html = page.content.decode()
    assert "History at this place" in html
    assert "There is a problem" not in html
    assert Contact.objects.count() == 0


def _gazetteer() -> None:
    core_services.load_gazetteer(
        [
            {"name": "Trafalgar Square", "lat": str(TRAFALGAR_SQUARE[0]), "lon": str(TRAFALGAR_SQUARE[1])},
            {"name": "High Street", "locality": "Bromley", "lat": "51.4050", "lon": "0.0150"},
            {"name": "High Street", "locality": "Croydon", "lat": "51.3720", "lon": "-0.0990"},
        ],
        source="test",
    )


def test_find_an_address_then_use_it_fills_the_point_and_shows_the_history(handler_client: Client) -> None:
    _gazetteer()
    typed = {"caller_name": "Sam Caller", "address": "high st", "description": "", "lat": "", "lon": ""}
    found = handler_client.post(reverse("control:take-call"), typed | {"action": "find"})
    html = found.content.decode()
    assert "There is a problem" not in html  # nothing else is asked for yet
    assert "2 places matching" in html
    assert html.index("High Street, Bromley") < html.index("High Street, Croydon")
    assert 'value="Sam Caller"' in html  # what was typed stays

    trafalgar = core_selectors.find_places("trafalgar sq")[0]
    used = handler_client.post(reverse("control:take-call"), typed | {"action": "use-place", "place": trafalgar.pk})
    html = used.content.decode()
    assert 'value="Trafalgar Square, Westminster"' in html  # the borough, from the point
    assert f'value="{TRAFALGAR_SQUARE[0]:.6f}"' in html
    assert "History at this place" in html
    assert Contact.objects.count() == 0  # nothing saved until "Save and continue"


def test_finding_an_address_says_what_to_do_when_nothing_matches(handler_client: Client) -> None:
    _gazetteer()
    html = handler_client.post(reverse("control:take-call"), {"address": "Nowhere Lane", "action": "find"}).content
    assert "No place matches “Nowhere Lane”: check the spelling, or enter a latitude and longitude" in html.decode()
    html = handler_client.post(reverse("control:take-call"), {"address": "x", "action": "use-place"}).content
    assert "Choose one of the places found, or find the address again" in html.decode()
    assert Contact.objects.count() == 0


def test_take_call_needs_the_permission(client: Client, dispatcher: User) -> None:
    assert signed_in(client, dispatcher).get(reverse("control:take-call")).status_code == 403


def test_take_call_needs_a_sign_in(client: Client, met: Force) -> None:
    assert client.get(reverse("control:take-call")).status_code == 302


# Deciding what happens to a contact ---------------------------------------------------------


def test_create_incident_from_the_contact(handler_client: Client, handler: User) -> None:
    contact = take_call(handler)
    done = handler_client.post(
        reverse("control:contact", args=[contact.pk]),
        {"action": "create", "create-category": "crime.violence", "create-qualifiers": ["alcohol"]},
    )
    incident = Incident.objects.get()
    assert done["Location"] == reverse("control:incident", args=[incident.pk])
    assert incident.log.get().kind == IncidentLogEntry.Kind.AUTOMATIC


def test_possible_duplicates_are_offered_and_linked(handler_client: Client, handler: User) -> None:
    first = new_incident(handler)
    second = take_call(handler, caller_name="Another Caller")
    page = handler_client.get(reverse("control:contact", args=[second.pk]))
    assert first.reference in page.content.decode()
    done = handler_client.post(
        reverse("control:contact", args=[second.pk]), {"action": "link", "link-incident": str(first.pk)}
    )
    assert done["Location"] == reverse("control:incident", args=[first.pk])
    second.refresh_from_db()
    assert (second.outcome, second.incident_id) == (Contact.Outcome.LINKED, first.pk)


def test_resolving_needs_a_resolution(handler_client: Client, handler: User) -> None:
    contact = take_call(handler)
    url = reverse("control:contact", args=[contact.pk])
    page = handler_client.post(url, {"action": "resolve"})
    assert "Select how the contact was resolved" in page.content.decode()
    done = handler_client.post(url, {"action": "resolve", "resolve-resolution_code": "advice"})
    assert done["Location"] == reverse("control:take-call")
    contact.refresh_from_db()
    assert contact.outcome == Contact.Outcome.RESOLVED


def test_another_forces_contact_is_not_there(client: Client, handler: User, city_handler: User) -> None:
    contact = take_call(handler)
    assert signed_in(client, city_handler).get(reverse("control:contact", args=[contact.pk])).status_code == 404


# The queue ----------------------------------------------------------------------------------


def test_queue_lists_unresourced_first_then_oldest_with_filters(client: Client, handler: User) -> None:
    older = new_incident(handler, description="older")
    newer = new_incident(handler, description="newer")
    resourced = new_incident(handler, description="resourced")
    grading.assess_incident(actor=handler, incident=newer, levels=HIGH_THREAT)
    incident_services.transition_incident(actor=handler, incident=resourced, to="resourced")
    html = signed_in(client, handler).get(reverse("control:queue")).content.decode()
    assert html.index(older.reference) < html.index(newer.reference) < html.index(resourced.reference)
    assert "I Immediate" in html  # the grade tag
    assert re.search(r">1[45] min</td>", html)  # time left against the 15-minute target
    graded = client.get(reverse("control:queue"), {"grade": "I"}).content.decode()
    assert newer.reference in graded
    assert older.reference not in graded
    rows = client.get(reverse("control:queue"), {"fragment": "rows"}).content.decode()
    assert rows.lstrip().startswith("{%") is False
    assert "<table" in rows
    assert "<html" not in rows


def test_queue_needs_the_permission_and_shows_only_the_own_force(
    client: Client, handler: User, city_handler: User, met: Force, make_user: MakeUser
) -> None:
    incident = new_incident(handler)
    assert incident.reference not in signed_in(client, city_handler).get(reverse("control:queue")).content.decode()
    nobody = make_user("no.roles", met)
    assert signed_in(client, nobody).get(reverse("control:queue")).status_code == 403


# An incident --------------------------------------------------------------------------------


def test_incident_page_shows_details_thrive_and_log(handler_client: Client, handler: User) -> None:
    incident = new_incident(handler)
    grading.assess_incident(actor=handler, incident=incident, levels=ALL_LOW)
    incident.refresh_from_db()
    grading.assess_incident(
        actor=handler, incident=incident, levels=ALL_LOW, grade="S", override_reason="Bottle seen", expected_version=2
    )
    html = handler_client.get(reverse("control:incident", args=[incident.pk])).content.decode()
    assert incident.reference in html
    assert html.index("Version 2") < html.index("Version 1")  # newest first
    assert "Overridden to S: Bottle seen" in html
    assert "Incident created from" in html
    assert "Graded S" in html
    assert html.index("Incident created from") < html.index("Graded S")  # the log, newest last
    log = handler_client.get(reverse("control:incident", args=[incident.pk]), {"fragment": "log"})
    assert "<html" not in log.content.decode()
    assert "Graded S" in log.content.decode()


def test_add_a_log_entry_and_its_error(handler_client: Client, handler: User) -> None:
    incident = new_incident(handler)
    url = reverse("control:add-log", args=[incident.pk])
    page = handler_client.post(url, {"log-text": ""})
    assert page.status_code == 422
    assert "Enter what to add to the log" in page.content.decode()
    done = handler_client.post(url, {"log-text": "Caller rang back", "log-position": "CW dispatch 3"})
    assert done.status_code == 302
    entry = incident.log.order_by("pk").last()
    assert (entry.text, entry.position, entry.operator_label) == ("Caller rang back", "CW dispatch 3", "ch.met")


def test_thrive_assessment_grades_and_an_override_needs_a_reason(handler_client: Client, handler: User) -> None:
    incident = new_incident(handler)
    url = reverse("control:assess", args=[incident.pk])
    page = handler_client.post(url, thrive_post(1, ALL_LOW, grade="I"))
    assert page.status_code == 422
    assert "say why you chose I" in page.content.decode()
    assert incident.assessments.count() == 0
    missing = handler_client.post(url, {"thrive-expected_version": "1"})
    assert "Select a level for threat" in missing.content.decode()
    done = handler_client.post(url, thrive_post(1, HIGH_THREAT))
    assert done.status_code == 302
    incident.refresh_from_db()
    assert (incident.grade, incident.version) == ("I", 2)


def test_a_stale_version_shows_the_conflict_and_the_latest(client: Client, handler: User, dispatcher: User) -> None:
    incident = new_incident(handler)
    grading.assess_incident(actor=handler, incident=incident, levels=HIGH_THREAT, expected_version=1)
    page = signed_in(client, dispatcher).post(
        reverse("control:transition", args=[incident.pk]), {"to": "resourced", "expected_version": "1"}
    )
    html = page.content.decode()
    assert page.status_code == 409
    assert "Someone else changed this incident while you were looking at it. Here is the latest" in html
    assert 'name="expected_version" value="2"' in html  # the forms now carry the latest version
    incident.refresh_from_db()
    assert incident.status == "open"


def test_transitions_and_closing_need_category_and_result(client: Client, handler: User, dispatcher: User) -> None:
    incident = new_incident(handler)
    signed_in(client, dispatcher)
    done = client.post(reverse("control:transition", args=[incident.pk]), {"to": "resourced", "expected_version": "1"})
    assert done.status_code == 302
    close = reverse("control:close", args=[incident.pk])
    page = client.post(close, {"close-expected_version": "2"})
    html = page.content.decode()
    assert "Choose the closing category" in html
    assert "Enter the result" in html
    done = client.post(
        close,
        {
            "close-expected_version": "2",
            "close-closing_category": "public_safety.concern_for_safety",
            "close-closing_result": "Words of advice",
        },
    )
    assert done.status_code == 302
    incident.refresh_from_db()
    assert (incident.status, incident.closing_result) == ("closed", "Words of advice")


def test_a_refused_transition_says_why(client: Client, handler: User, dispatcher: User) -> None:
    incident = new_incident(handler)
    incident_services.transition_incident(actor=dispatcher, incident=incident, to="at_scene")
    page = signed_in(client, dispatcher).post(
        reverse("control:transition", args=[incident.pk]), {"to": "resourced", "expected_version": "2"}
    )
    assert page.status_code == 409
    assert "it cannot become resourced" in page.content.decode()


def test_closing_needs_the_close_permission(handler_client: Client, handler: User) -> None:
    incident = new_incident(handler)
    page = handler_client.post(
        reverse("control:close", args=[incident.pk]),
        {"close-expected_version": "1", "close-closing_category": "crime.violence", "close-closing_result": "x"},
    )
    assert page.status_code == 403


def test_another_forces_incident_is_not_there(client: Client, handler: User, city_handler: User) -> None:
    incident = new_incident(handler)
    signed_in(client, city_handler)
    assert client.get(reverse("control:incident", args=[incident.pk])).status_code == 404
    assert client.post(reverse("control:add-log", args=[incident.pk]), {"log-text": "x"}).status_code == 404
    assert incident.log.count() == 1
