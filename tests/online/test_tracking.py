"""Track my report: the reference and the emailed code, limited attempts, status in plain
English, messages from the force, and information added later. Nothing personal in URLs."""

from __future__ import annotations

import pytest
from django.test import Client

from bluelamp.core.errors import PermissionDenied
from bluelamp.online import services
from bluelamp.online.models import Delivery, Report, SentMessage
from tests.online.conftest import Walk

pytestmark = pytest.mark.django_db


def code_for(reference: str) -> str:
    body = SentMessage.objects.get(report__reference=reference).body
    return body.split("Your tracking code is ")[1].split()[0]


@pytest.fixture
def reported(walk: Walk) -> tuple[str, str]:
    reference = walk.report("crime")
    return reference, code_for(reference)


def test_the_code_is_kept_only_as_a_hash(reported: tuple[str, str]) -> None:
    reference, code = reported
    report = Report.objects.get(reference=reference)
    assert len(code) == 8
    assert code not in report.tracking_code_hash
    assert report.tracking_code_hash == services.hash_code(code)


def test_reference_and_code_show_the_status(reported: tuple[str, str], client: Client) -> None:
    reference, code = reported
    response = client.post("/sites/met/report/track/", {"reference": reference.lower(), "code": code})
    assert response["Location"] == "/sites/met/report/track/report/"  # no reference in the URL
    page = client.get(response["Location"]).content.decode()
    assert reference in page
    assert ">Received<" in page
    assert "We have received your report." in page


def test_a_wrong_code_is_refused_and_five_lock_tracking(reported: tuple[str, str], client: Client) -> None:
    reference, code = reported
    response = client.post("/sites/met/report/track/", {"reference": reference, "code": "WRONG123"})
    assert response.status_code == 422
    assert "The reference number or tracking code is not right" in response.content.decode()
    for _ in range(4):
        client.post("/sites/met/report/track/", {"reference": reference, "code": "WRONG123"})
    response = client.post("/sites/met/report/track/", {"reference": reference, "code": code})
    assert response.status_code == 422
    assert "can no longer be tracked online" in response.content.decode()
    with pytest.raises(PermissionDenied):
        services.open_tracking(reference=reference, code=code)


def test_an_empty_form_shows_the_errors(client: Client, sites: object) -> None:
    response = client.post("/sites/met/report/track/", {})
    page = response.content.decode()
    assert response.status_code == 422
    assert 'href="#reference">Enter your reference number' in page
    assert 'href="#code">Enter your tracking code' in page


def test_a_report_cannot_be_tracked_on_an_unrelated_forces_site(reported: tuple[str, str], client: Client) -> None:
    reference, code = reported
    response = client.post("/sites/city/report/track/", {"reference": reference, "code": code})
    assert response.status_code == 422


def test_the_reporter_adds_information_and_it_is_queued_for_delivery(reported: tuple[str, str], client: Client) -> None:
    reference, code = reported
    client.post("/sites/met/report/track/", {"reference": reference, "code": code})
    response = client.post("/sites/met/report/track/report/", {"text": ""})
    assert response.status_code == 422
    assert "Enter the information you want to add" in response.content.decode()
    response = client.post("/sites/met/report/track/report/", {"text": "The thief had a limp"})
    page = response.content.decode()
    assert "We have added your information" in page
    assert "The thief had a limp" in page
    assert Delivery.objects.filter(report__reference=reference, update__isnull=False).count() == 1


def test_messages_from_the_force_are_shown(reported: tuple[str, str], client: Client, staff: object) -> None:
    reference, code = reported
    handler = staff("ch.met", "met", "call_handler")  # type: ignore[operator]
    report = Report.objects.get(reference=reference)
    services.message_reporter(actor=handler, report=report, text="An officer will call you on Thursday.")
    services.give_crime_reference(actor=handler, report=report, crime_reference="cris-1234567/26")
    client.post("/sites/met/report/track/", {"reference": reference, "code": code})
    page = client.get("/sites/met/report/track/report/").content.decode()
    assert "An officer will call you on Thursday." in page
    assert "Crime reference given" in page
    assert "CRIS-1234567/26" in page


def test_finishing_forgets_the_report(reported: tuple[str, str], client: Client) -> None:
    reference, code = reported
    client.post("/sites/met/report/track/", {"reference": reference, "code": code})
    client.post("/sites/met/report/track/finish/")
    assert client.get("/sites/met/report/track/report/")["Location"] == "/sites/met/report/track/"


def test_adding_information_is_rate_limited(reported: tuple[str, str], client: Client, settings: object) -> None:
    settings.ONLINE_ADD_INFORMATION_RATE = "2/h"  # type: ignore[attr-defined]
    reference, code = reported
    client.post("/sites/met/report/track/", {"reference": reference, "code": code})
    sent = [client.post("/sites/met/report/track/report/", {"text": f"Detail {n}"}).status_code for n in range(3)]
    assert sent == [200, 200, 429]
    assert Delivery.objects.filter(report__reference=reference, update__isnull=False).count() == 2
