"""Delivery to each force's destination with no re-keying, retries with backoff, and the
control room's changes flowing back to 'track my report'."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from bluelamp.control.contacts import selectors as contact_selectors
from bluelamp.control.contacts import services as contact_services
from bluelamp.control.incidents import services as incident_services
from bluelamp.control.models import Contact
from bluelamp.core.errors import NotFound
from bluelamp.core.models import Force
from bluelamp.online import delivery, services
from bluelamp.online.catalogue import catalogue
from bluelamp.online.models import Delivery, Destination, Report
from bluelamp.online.samples import BANK_STATION
from tests.online.conftest import Walk

pytestmark = pytest.mark.django_db


def test_a_report_becomes_a_control_room_contact_with_every_answer(walk: Walk, staff: Any) -> None:
    reference = walk.report("crime", choose={"crime_type": "assault", "victim": "someone_else"})
    done = delivery.run_once()
    assert done.delivered == 1
    report = Report.objects.get(reference=reference)
    handler = staff("ch.met", "met", "call_handler")
    contact = contact_selectors.contact(actor=handler, contact_id=report.contact_id)  # type: ignore[arg-type]
    assert contact.channel == "online"
    assert contact.source_reference == reference
    assert (contact.category, contact.caller_name, contact.caller_phone) == (
        "crime.violence",
        "Sam Reporter",
        "07700 900123",
    )
    assert (contact.lat, contact.lon) == (report.lat, report.lon)
    assert contact.borough is not None
    assert contact.borough.name == "Westminster"
    journey = catalogue().journey("crime")
    assert journey is not None
    asked = {q.label for q in journey.visible(report.answers)} - {"Upload photos, videos or documents"}
    assert asked <= set(contact.details["answers"])  # every answer, under its question
    assert {p["role"] for p in contact.details["people"]} == {"victim", "suspect", "witness"}
    assert contact.details["vehicles"][0]["registration"] == "AB12 CDE"
    assert contact.details["hocr_class"] == "105A Assault without injury"
    assert report.acknowledged_at is not None
    assert Report.objects.get(pk=report.pk).status == "assessing"


def test_a_city_report_made_on_the_met_site_is_not_visible_to_the_met(walk: Walk, staff: Any) -> None:
    reference = walk.report("crime", place=BANK_STATION)
    delivery.run_once()
    report = Report.objects.get(reference=reference)
    contact = Contact.objects.get(pk=report.contact_id)
    assert contact.force.code == "city"
    assert contact.borough is not None
    assert contact.borough.name == "City of London"
    city_handler = staff("ch.city", "city", "call_handler")
    assert contact_selectors.contact(actor=city_handler, contact_id=contact.pk).source_reference == reference
    met_handler = staff("ch.met", "met", "call_handler")
    with pytest.raises(NotFound):
        contact_selectors.contact(actor=met_handler, contact_id=contact.pk)
    client = Client()
    client.force_login(met_handler)
    assert client.get(f"/api/v1/control/contacts/{contact.pk}").status_code == 404
    client.force_login(city_handler)
    assert client.get(f"/api/v1/control/contacts/{contact.pk}").status_code == 200


def test_delivering_again_never_makes_a_second_contact(walk: Walk) -> None:
    reference = walk.report("crime")
    delivery.run_once()
    Delivery.objects.update(state=Delivery.State.PENDING, next_attempt_at=timezone.now())  # as if never acknowledged
    delivery.run_once()
    assert Contact.objects.filter(source_reference=reference).count() == 1
    assert Delivery.objects.get().attempts == 2


def test_round_trip_from_the_met_site_to_the_control_room_and_back(walk: Walk, staff: Any, client: Client) -> None:
    reference = walk.report("crime")
    sent = mail_code(reference)
    delivery.run_once()
    report = Report.objects.get(reference=reference)
    handler = staff("ch.met", "met", "call_handler")
    contact = contact_selectors.contact(actor=handler, contact_id=report.contact_id)  # type: ignore[arg-type]
    incident = contact_services.create_incident_from_contact(actor=handler, contact=contact)
    assert incident.details["answers"]["Tell us what happened"].startswith("Answer to")
    assert delivery.run_once().statuses >= 1  # the control room's events read
    response = client.post("/sites/met/report/track/", {"reference": reference, "code": sent})
    assert response["Location"] == "/sites/met/report/track/report/"
    page = client.get(response["Location"]).content.decode()
    assert "Passed to an officer" in page
    assert "Your report has been passed to an officer." in page
    dispatcher = staff("disp.met", "met", "dispatcher")
    incident_services.transition_incident(
        actor=dispatcher,
        incident=incident,
        to="closed",
        closing_category="crime.violence",
        closing_result="Advice given",
    )
    delivery.run_once()
    assert ">Closed<" in client.get("/sites/met/report/track/report/").content.decode()


def mail_code(reference: str) -> str:
    from bluelamp.online.models import SentMessage

    body = SentMessage.objects.get(report__reference=reference).body
    return body.split("Your tracking code is ")[1].split()[0]


def test_a_resolved_contact_closes_the_report(walk: Walk, staff: Any) -> None:
    reference = walk.report("lost-found")
    delivery.run_once()
    report = Report.objects.get(reference=reference)
    handler = staff("ch.met", "met", "call_handler")
    contact = Contact.objects.get(pk=report.contact_id)
    from bluelamp.control import rules

    contact_services.resolve_contact(
        actor=handler, contact=contact, resolution_code=next(iter(rules.resolution_codes()))
    )
    delivery.run_once()
    assert Report.objects.get(pk=report.pk).status == "closed"


def test_information_added_later_is_delivered_too(walk: Walk) -> None:
    reference = walk.report("crime")
    delivery.run_once()
    report = Report.objects.get(reference=reference)
    services.add_information(report=report, text="The bike had a red bell")
    delivery.run_once()
    addition = Contact.objects.get(source_reference__startswith=f"{reference}/")
    assert "red bell" in addition.description
    assert addition.details["adds_to_report"] == reference


def test_email_destination(walk: Walk, sites: dict[str, Force]) -> None:
    Destination.objects.filter(force=sites["met"]).update(kind="email", email="online-reports@met.example")
    reference = walk.report("crime")
    assert delivery.run_once().delivered == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["online-reports@met.example"]
    assert reference in message.subject
    assert json.loads(message.body)["reference"] == reference
    assert not Contact.objects.exists()


class Receiver(BaseHTTPRequestHandler):
    """A force's own system: answers with the status it is told to, and records what it got."""

    answer = 201
    received: list[tuple[dict[str, str], dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), json.loads(body)))
        self.send_response(type(self).answer)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received, Receiver.answer = [], 201
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/reports"
    server.shutdown()
    server.server_close()


def test_https_destination_retries_with_backoff_then_delivers(
    walk: Walk, sites: dict[str, Force], receiver: str
) -> None:
    Destination.objects.filter(force=sites["met"]).update(kind="https", url=receiver, auth_header="Bearer s3cret")
    reference = walk.report("crime")
    Receiver.answer = 503
    start = timezone.now()
    assert delivery.deliver_due(now=start).failed == 1
    failing = Delivery.objects.get()
    assert (failing.state, failing.attempts) == ("pending", 1)
    assert "HTTP 503" in failing.last_error
    assert failing.next_attempt_at == start + dt.timedelta(seconds=30)
    assert delivery.deliver_due(now=start).failed == 0  # not due yet: nothing tried
    later = start + dt.timedelta(seconds=31)
    delivery.deliver_due(now=later)
    assert Delivery.objects.get().next_attempt_at == later + dt.timedelta(seconds=60)  # the wait doubles
    Receiver.answer = 201
    assert delivery.deliver_due(now=later + dt.timedelta(minutes=5)).delivered == 1
    done = Delivery.objects.get()
    assert (done.state, done.attempts, done.last_error, done.acknowledgement) == ("delivered", 3, "", "HTTP 201")
    headers, body = Receiver.received[-1]
    assert headers["Idempotency-Key"] == reference
    assert headers["Authorization"] == "Bearer s3cret"
    assert body["reference"] == reference
    assert body["reporter"]["email"] == "sam@example.com"
    assert {a["question"] for a in body["answers"]} >= {"crime_type", "where", "what_happened", "contact"}


def test_a_delivery_gives_up_after_many_attempts_and_is_listed_as_failing(walk: Walk, sites: dict[str, Force]) -> None:
    Destination.objects.filter(force=sites["met"]).update(kind="https", url="http://127.0.0.1:9/nothing-listens-here")
    walk.report("crime")
    now = timezone.now()
    for _ in range(delivery.MAX_ATTEMPTS):
        now += dt.timedelta(hours=2)
        delivery.deliver_due(now=now)
    failed = Delivery.objects.get()
    assert (failed.state, failed.attempts) == ("failed", delivery.MAX_ATTEMPTS)
    assert "ConnectError" in failed.last_error
    assert delivery.failing() == [failed]
