"""The report journeys through the real views: one question per page, branches, check your
answers with change links, the confirmation, routing by place, and a report stored with every answer."""

from __future__ import annotations

import pytest
from django.test import Client

from bluelamp.core.models import GazetteerPlace
from bluelamp.core.services import load_gazetteer
from bluelamp.online.models import Delivery, Report, SentMessage
from bluelamp.online.samples import BANK_STATION
from tests.online.conftest import Walk

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("journey", ["crime", "asb", "road-traffic", "lost-found"])
def test_every_journey_can_be_completed(walk: Walk, journey: str) -> None:
    choose = {"injured": "no"}
    reference = walk.report(journey, choose=choose)
    report = Report.objects.get(reference=reference)
    assert report.force.code == "met"
    assert report.site_force.code == "met"
    assert reference.startswith("MET-")
    assert Delivery.objects.filter(report=report, state="pending").count() == 1
    assert report.answers  # every answer kept


def test_crime_report_keeps_answers_people_vehicles_and_classification(walk: Walk) -> None:
    reference = walk.report("crime", choose={"crime_type": "theft", "victim": "someone_else"})
    report = Report.objects.get(reference=reference)
    assert (report.category, report.qualifiers, report.hocr_class) == ("crime.theft", [], "49 Other theft")
    assert {p["role"] for p in report.people} == {"victim", "suspect", "witness"}
    assert report.vehicles[0]["registration"] == "AB12 CDE"
    assert report.reporter_email == "sam@example.com"
    assert report.answers["items"].startswith("Answer to")
    receipt = SentMessage.objects.get(report=report)
    assert reference in receipt.body
    assert "tracking code" in receipt.body


def test_asb_type_gives_the_nsir_qualifier(walk: Walk) -> None:
    reference = walk.report("asb", choose={"asb_type": "environmental"})
    report = Report.objects.get(reference=reference)
    assert (report.category, report.qualifiers) == ("asb", ["asb_environmental"])


def test_anonymous_asb_report_has_no_contact_details(walk: Walk) -> None:
    reference = walk.report("asb", choose={"give_contact": "no"})
    report = Report.objects.get(reference=reference)
    assert report.anonymous
    assert report.reporter_email == ""
    assert "contact" not in report.answers
    assert not SentMessage.objects.filter(report=report).exists()


def test_danger_yes_goes_to_call_999(walk: Walk, client: Client) -> None:
    response = client.post(walk.url("crime/"), {"danger": "yes"})
    assert response["Location"] == walk.url("crime/emergency/")
    assert "Call 999 now" in client.get(response["Location"]).content.decode()


def test_fraud_is_signposted_to_action_fraud_and_not_reported(walk: Walk, client: Client) -> None:
    first = walk.start("crime")
    response = client.post(first, {"answer": "fraud"})
    assert response["Location"] == walk.url("crime/advice/action_fraud/")
    page = client.get(response["Location"]).content.decode()
    assert "Action Fraud" in page
    assert "https://www.actionfraud.police.uk/" in page
    assert client.get(walk.url("crime/check/")).status_code == 302  # cannot be sent


def test_back_links_go_to_the_previous_question_asked(walk: Walk, client: Client) -> None:
    first = walk.start("crime")
    assert f'href="{walk.url("crime/")}"' in client.get(first).content.decode()
    client.post(first, {"answer": "theft"})
    client.post(walk.url("crime/victim/"), {"answer": "me"})  # victim_person is skipped
    page = client.get(walk.url("crime/where/")).content.decode()
    assert f'href="{walk.url("crime/victim/")}" class="govuk-back-link"' in page


def test_change_link_returns_to_check_answers(walk: Walk, client: Client) -> None:
    check = walk.answer_all("crime")
    page = client.get(check).content.decode()
    assert f'href="{walk.url("crime/what_happened/")}?change=1"' in page
    response = client.post(walk.url("crime/what_happened/") + "?change=1", {"answer": "Changed my mind"})
    assert response["Location"] == check
    assert "Changed my mind" in client.get(check).content.decode()


def test_a_change_that_opens_a_branch_asks_the_new_question_first(walk: Walk, client: Client) -> None:
    check = walk.answer_all("crime", choose={"victim": "me"})
    response = client.post(walk.url("crime/victim/") + "?change=1", {"answer": "someone_else"})
    assert response["Location"] == walk.url("crime/victim_person/") + "?change=1"
    response = client.post(response["Location"], {"description": "An older man in a red coat", "name": ""})
    assert response["Location"] == check


def test_exit_this_page_is_on_every_journey_page(walk: Walk, client: Client) -> None:
    check = walk.answer_all("crime")
    for url in [walk.url("crime/"), *walk.pages, check]:
        assert 'data-module="govuk-exit-this-page"' in client.get(url).content.decode(), url


def test_bank_station_is_routed_to_city_of_london_police(walk: Walk, client: Client) -> None:
    reference = walk.report("crime", place=BANK_STATION)
    report = Report.objects.get(reference=reference)
    assert report.force.code == "city"
    assert report.site_force.code == "met"
    assert reference.startswith("CITY-")


def test_another_forces_area_is_said_before_carrying_on(walk: Walk, client: Client) -> None:
    walk.start("crime")
    client.post(walk.url("crime/crime_type/"), {"answer": "theft"})
    client.post(walk.url("crime/victim/"), {"answer": "me"})
    response = client.post(walk.url("crime/where/"), {"address": "Bank", "lat": "51.5133", "lon": "-0.0890"})
    assert response["Location"] == walk.url("crime/other-force/")
    page = client.get(response["Location"]).content.decode()
    assert "Your report will go to City of London Police" in page


def test_find_a_place_by_name_then_use_it_routes_by_its_point(walk: Walk, client: Client) -> None:
    lat, lon = BANK_STATION
    load_gazetteer([{"name": "Bank station", "lat": str(lat), "lon": str(lon)}], source="test")
    walk.start("crime")
    client.post(walk.url("crime/crime_type/"), {"answer": "theft"})
    client.post(walk.url("crime/victim/"), {"answer": "me"})
    where = walk.url("crime/where/")
    found = client.post(where, {"address": "bank stn", "action": "find"})
    page = found.content.decode()
    assert found.status_code == 200
    assert "1 place found" in page
    assert "Bank station, City of London" in page
    place = GazetteerPlace.objects.get().pk
    used = client.post(where, {"address": "bank stn", "action": "use-place", "place": place}).content.decode()
    assert 'value="51.513' in used  # the point is in the form, for the person to check and continue
    assert "Bank station, City of London</textarea>" in used
    sent = client.post(where, {"address": "Bank station, City of London", "lat": str(lat), "lon": str(lon)})
    assert sent["Location"] == walk.url("crime/other-force/")  # the City polices it, not the Met


def test_finding_a_place_that_is_not_known_says_what_to_do(walk: Walk, client: Client) -> None:
    walk.start("lost-found")
    response = client.post(walk.url("lost-found/where/"), {"address": "Nowhere Lane", "action": "find"})
    page = response.content.decode()
    assert response.status_code == 422
    assert "We could not find “Nowhere Lane”. Check the spelling, or describe the place and continue" in page
    assert "govuk-error-summary" in page


def test_a_place_outside_every_force_is_told_plainly(walk: Walk, client: Client) -> None:
    walk.start("crime")
    client.post(walk.url("crime/crime_type/"), {"answer": "theft"})
    client.post(walk.url("crime/victim/"), {"answer": "me"})
    response = client.post(walk.url("crime/where/"), {"address": "Oxford", "lat": "51.752", "lon": "-1.2577"})
    assert response["Location"] == walk.url("crime/outside-area/")
    page = client.get(response["Location"]).content.decode()
    assert "outside the areas we cover" in page
    assert "101" in page


def test_confirmation_shows_the_reference_and_what_happens_next(walk: Walk, client: Client) -> None:
    response, _ = walk.submit(walk.answer_all("lost-found"))
    page = client.get(response["Location"]).content.decode()
    reference = Report.objects.get().reference
    assert reference in page
    assert "What happens next" in page
    assert "govuk-panel--confirmation" in page


def test_a_journey_works_on_the_forces_own_hostname(sites: object) -> None:
    client = Client(HTTP_HOST="met.localhost")
    response = client.post("/report/crime/", {"danger": "no"})
    assert response["Location"] == "/report/crime/crime_type/"


def test_privacy_notice_per_force(walk: Walk, client: Client) -> None:
    page = client.get("/sites/city/report/privacy/").content.decode()
    assert "City of London Police is the controller" in page
    assert "30 days" in page


def test_a_destination_turned_off_on_or_removed_is_seen_at_once(walk: Walk, client: Client) -> None:
    """The site's pages keep whether the force takes reports in the cache: saving or deleting
    its destination drops what was kept, and until then no page asks the database again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bluelamp.online.models import Destination

    assert client.get(walk.url("crime/")).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(walk.url("crime/")).status_code == 200
        assert "Report a crime" in client.get(walk.url("")).content.decode()
    assert not [q for q in queries.captured_queries if "online_destination" in q["sql"]]

    destination = Destination.objects.get(force__code="met")
    destination.enabled = False
    destination.save()
    assert client.get(walk.url("crime/")).status_code == 404
    assert "does not take reports on this website yet" in client.get(walk.url("")).content.decode()
    destination.enabled = True
    destination.save()
    assert client.get(walk.url("crime/")).status_code == 200
    destination.delete()
    assert client.get(walk.url("crime/")).status_code == 404
