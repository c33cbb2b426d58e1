"""Bad input on every question type: the GOV.UK error summary links to the field, the field
shows its inline message, and nothing moves on."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from bluelamp.online.catalogue import catalogue
from tests.online.conftest import Walk

pytestmark = pytest.mark.django_db


def errors(page: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(summary links as (anchor, message), inline messages)."""
    summary = re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', page)
    inline = re.findall(
        r'class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> ([^<]+)</p>', page
    )
    return summary, inline


def assert_refused(client: Client, url: str, data: dict[str, object], message: str) -> None:
    response = client.post(url, data)
    assert response.status_code == 422, url
    page = response.content.decode()
    summary, inline = errors(page)
    assert "There is a problem" in page
    assert any(message in text for _, text in summary), (message, summary)
    assert any(message in text for text in inline), (message, inline)
    anchor = next(a for a, text in summary if message in text)
    assert f'id="{anchor}"' in page  # the summary's link goes to the field
    assert "<title>Error: " in page


@pytest.fixture
def on_crime(walk: Walk) -> Walk:
    walk.start("crime")
    return walk


def test_danger_check_needs_an_answer(walk: Walk, client: Client) -> None:
    assert_refused(client, walk.url("crime/"), {}, "Select yes if anyone is in immediate danger")


def test_radios_need_a_choice(on_crime: Walk, client: Client) -> None:
    assert_refused(client, on_crime.url("crime/crime_type/"), {}, "Select the kind of crime you are reporting")
    assert_refused(client, on_crime.url("crime/crime_type/"), {"answer": "arson"}, "Select a valid choice")


def test_yes_no_needs_a_choice(on_crime: Walk, client: Client) -> None:
    client.post(on_crime.url("crime/crime_type/"), {"answer": "theft"})
    client.post(on_crime.url("crime/victim/"), {"answer": "me"})
    for path in ("where", "when_date", "when_time", "what_happened"):
        question = catalogue().journey("crime").question(path)  # type: ignore[union-attr]
        from bluelamp.online.samples import sample_post

        client.post(on_crime.url(f"crime/{path}/"), sample_post(question))  # type: ignore[arg-type]
    assert_refused(client, on_crime.url("crime/anything_taken/"), {}, "Select yes or no")


def test_location_needs_an_address_or_both_coordinates(on_crime: Walk, client: Client) -> None:
    client.post(on_crime.url("crime/crime_type/"), {"answer": "theft"})
    client.post(on_crime.url("crime/victim/"), {"answer": "me"})
    url = on_crime.url("crime/where/")
    assert_refused(client, url, {"address": ""}, "Enter the address or place")
    assert_refused(client, url, {"address": "x", "lat": "51.5"}, "Enter both the latitude and the longitude")
    assert_refused(client, url, {"address": "x", "lat": "north", "lon": "1"}, "Enter the latitude as a number")
    assert_refused(client, url, {"lat": "151", "lon": "1"}, "Enter a latitude from -90 to 90")


def test_date_must_be_real_complete_and_not_in_the_future(on_crime: Walk, client: Client) -> None:
    client.post(on_crime.url("crime/crime_type/"), {"answer": "theft"})
    client.post(on_crime.url("crime/victim/"), {"answer": "me"})
    client.post(on_crime.url("crime/where/"), {"address": "Trafalgar Square"})
    url = on_crime.url("crime/when_date/")
    assert_refused(client, url, {}, "Enter the date")
    assert_refused(client, url, {"when_date-day": "31", "when_date-month": "2", "when_date-year": "2026"}, "real date")
    assert_refused(client, url, {"when_date-day": "3", "when_date-year": "2026"}, "must include a month")
    assert_refused(client, url, {"when_date-day": "1", "when_date-month": "1", "when_date-year": "2999"}, "in the past")


def test_time_text_and_contact_details(walk: Walk, client: Client) -> None:
    walk.start("lost-found")
    assert_refused(client, walk.url("lost-found/lost_or_found/"), {}, "Select whether you have lost or found something")
    client.post(walk.url("lost-found/lost_or_found/"), {"answer": "lost"})
    assert_refused(client, walk.url("lost-found/item/"), {"answer": "  "}, "Describe the item")
    assert_refused(client, walk.url("lost-found/item/"), {"answer": "x" * 2001}, "2000 characters or fewer")
    client.post(walk.url("lost-found/item/"), {"answer": "A black wallet"})
    assert_refused(client, walk.url("lost-found/item_kind/"), {}, "Select what kind of item it is")
    client.post(walk.url("lost-found/item_kind/"), {"answer": ["bag"]})
    client.post(walk.url("lost-found/where/"), {"address": "Bus 38"})
    client.post(
        walk.url("lost-found/when_date/"), {"when_date-day": "1", "when_date-month": "11", "when_date-year": "2026"}
    )
    url = walk.url("lost-found/contact/")
    assert_refused(client, url, {}, "Enter your full name")
    assert_refused(
        client, url, {"name": "Sam", "email": "sam-at-example"}, "Enter an email address in the correct format"
    )
    assert_refused(client, url, {"name": "Sam", "email": "sam@example.com", "phone": "call me"}, "Enter a phone number")


def test_time_person_and_vehicle(on_crime: Walk, client: Client) -> None:
    client.post(on_crime.url("crime/crime_type/"), {"answer": "theft"})
    client.post(on_crime.url("crime/victim/"), {"answer": "someone_else"})
    assert_refused(client, on_crime.url("crime/victim_person/"), {"name": "Al"}, "Enter a description of the person")
    client.post(on_crime.url("crime/victim_person/"), {"description": "My neighbour"})
    client.post(on_crime.url("crime/where/"), {"address": "Trafalgar Square"})
    client.post(
        on_crime.url("crime/when_date/"), {"when_date-day": "1", "when_date-month": "11", "when_date-year": "2026"}
    )
    assert_refused(client, on_crime.url("crime/when_time/"), {"answer": "25:00"}, "Enter the time like 14:30")
    client.post(on_crime.url("crime/when_time/"), {"answer": ""})  # optional
    for path, value in (("what_happened", "Bag taken"), ("anything_taken", "no"), ("saw_suspect", "no")):
        client.post(on_crime.url(f"crime/{path}/"), {"answer": value})
    client.post(on_crime.url("crime/vehicle_involved/"), {"answer": "yes"})
    assert_refused(client, on_crime.url("crime/vehicle/"), {}, "Enter the registration, make, model or colour")


def test_a_question_not_asked_on_this_path_is_not_there(on_crime: Walk, client: Client) -> None:
    client.post(on_crime.url("crime/crime_type/"), {"answer": "theft"})
    client.post(on_crime.url("crime/victim/"), {"answer": "me"})
    assert client.get(on_crime.url("crime/victim_person/")).status_code == 404
    assert client.get(on_crime.url("crime/no_such_question/")).status_code == 404


def test_a_question_without_a_started_report_goes_to_the_start(walk: Walk, client: Client) -> None:
    response = client.get(walk.url("crime/where/"))
    assert response["Location"] == walk.url("crime/")
