"""Delivery of reports to each force's destination, with no re-keying, and the control room's
status changes flowing back to 'track my report'.

The queue is the Delivery table, written in the same transaction as the report. A delivery is
retried with exponential backoff; attempts and the last error are kept (Django admin lists
failing deliveries). Delivery is at-least-once towards the destination, and exactly-once in
effect: the control room's intake is idempotent on the report reference, HTTPS destinations
receive an ``Idempotency-Key`` header, and a report is marked delivered in the same
transaction that records the acknowledgement."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone

from bluelamp.control.contacts import selectors as contact_selectors
from bluelamp.control.contacts import services as contact_services
from bluelamp.core import consumers
from bluelamp.core.access import ClientActor
from bluelamp.core.models import OutboxEvent
from bluelamp.online import services
from bluelamp.online.catalogue import catalogue
from bluelamp.online.models import Delivery, Destination, Report, Status

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
FIRST_RETRY = dt.timedelta(seconds=30)
LONGEST_WAIT = dt.timedelta(hours=1)
INTAKE_CLIENT = "Single Online Home"
STATUS_CONSUMER = "online.control-status"  # a consumer of the outbox (bluelamp.core.consumers)
ONLINE_CHANNEL = "online"  # the channel the control room files online reports under


class DeliveryFailed(Exception):
    """The destination did not take it; the message says why (no personal data)."""


def backoff(attempts: int) -> dt.timedelta:
    """30s, 1m, 2m, 4m… up to an hour between attempts."""
    wait: dt.timedelta = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(wait, LONGEST_WAIT)


def intake_actor(force_id: int) -> ClientActor:
    """The API-client actor the Single Online Home uses to add contacts in a force's control room."""
    return ClientActor(
        token_id=0, name=INTAKE_CLIENT, force_id=force_id, permissions=frozenset({"control.add_contact"})
    )


def _label(question_id: str, journey_slug: str) -> str:
    journey = catalogue().journey(journey_slug)
    question = journey.question(question_id) if journey else None
    return question.label if question else question_id


def payload(report: Report) -> dict[str, Any]:
    """The report as the destination receives it: every answer, by question, with its wording."""
    return {
        "reference": report.reference,
        "journey": report.journey,
        "journey_title": report.journey_title,
        "submitted_at": report.submitted_at.isoformat(),
        "site": report.site_force.code,
        "category": report.category,
        "qualifiers": report.qualifiers,
        "hocr_class": report.hocr_class,
        "description": report.description,
        "location": {"address": report.address, "lat": report.lat, "lon": report.lon},
        "answers": [
            {"question": key, "label": _label(key, report.journey), "answer": value}
            for key, value in report.answers.items()
        ],
        "people": report.people,
        "vehicles": report.vehicles,
        "reporter": None
        if report.anonymous
        else {"name": report.reporter_name, "email": report.reporter_email, "phone": report.reporter_phone},
        "evidence": [
            {"name": e.original_name, "type": e.content_type, "size": e.size, "sha256": e.sha256}
            for e in report.evidence.all()
        ],
    }


def _addition_payload(delivery: Delivery) -> dict[str, Any]:
    update = delivery.update
    assert update is not None
    return {
        "reference": delivery.report.reference,
        "addition": update.pk,
        "at": update.at.isoformat(),
        "text": update.text,
    }


def _to_control(delivery: Delivery) -> str:

    report = delivery.report
    actor = intake_actor(report.force_id)
    if delivery.update_id:
        update = delivery.update
        assert update is not None
        received = contact_services.receive_contact(
            actor=actor,
            contact=contact_services.NewContact(
                channel=ONLINE_CHANNEL,
                source_reference=f"{report.reference}/{update.pk}",
                description=f"More information from the reporter of online report {report.reference}: {update.text}",
                address=report.address,
                lat=report.lat,
                lon=report.lon,
                caller_name=report.reporter_name,
                caller_phone=report.reporter_phone,
                details={"adds_to_report": report.reference, "addition": update.text},
            ),
        )
        return f"contact {received.contact.pk}"
    data = payload(report)
    details = {
        "online_reference": report.reference,
        "journey": report.journey_title,
        "hocr_class": report.hocr_class,
        "answers": {item["label"]: item["answer"] for item in data["answers"]},
        "people": report.people,
        "vehicles": report.vehicles,
        "reporter_email": report.reporter_email,
        "anonymous": report.anonymous,
        "evidence": data["evidence"],
    }
    received = contact_services.receive_contact(
        actor=actor,
        contact=contact_services.NewContact(
            channel=ONLINE_CHANNEL,
            received_at=report.submitted_at,
            source_reference=report.reference,
            description=report.description or report.journey_title,
            category=report.category,
            qualifiers=report.qualifiers,
            address=report.address,
            lat=report.lat,
            lon=report.lon,
            caller_name=report.reporter_name,
            caller_phone=report.reporter_phone,
            details=details,
        ),
    )
    Report.objects.filter(pk=report.pk).update(contact_id=received.contact.pk)
    return f"contact {received.contact.pk}"


def _to_email(delivery: Delivery, destination: Destination) -> str:
    report = delivery.report
    body = _addition_payload(delivery) if delivery.update_id else payload(report)
    subject = f"Online report {report.reference}" + (" — more information" if delivery.update_id else "")
    send_mail(subject, json.dumps(body, indent=2, default=str), None, [destination.email])
    return "emailed"


def _to_https(delivery: Delivery, destination: Destination) -> str:
    report = delivery.report
    body = _addition_payload(delivery) if delivery.update_id else payload(report)
    key = f"{report.reference}/{delivery.update_id}" if delivery.update_id else report.reference
    headers = {"Idempotency-Key": key, "Content-Type": "application/json"}
    if destination.auth_header:
        headers["Authorization"] = destination.auth_header
    try:
        response = httpx.post(
            destination.url,
            content=json.dumps(body, default=str),
            headers=headers,
            timeout=settings.ONLINE_DELIVERY_TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as error:
        raise DeliveryFailed(f"{type(error).__name__}: {error}") from None
    if not response.is_success:
        raise DeliveryFailed(f"HTTP {response.status_code} from {destination.url}")
    return f"HTTP {response.status_code}"[:200]


def _send(delivery: Delivery) -> str:
    destination = Destination.objects.filter(force_id=delivery.report.force_id, enabled=True).first()
    if destination is None:
        raise DeliveryFailed(f"{delivery.report.force} has no enabled destination for online reports.")
    if destination.kind == Destination.Kind.CONTROL:
        return _to_control(delivery)
    if destination.kind == Destination.Kind.EMAIL:
        return _to_email(delivery, destination)
    return _to_https(delivery, destination)


@dataclass
class Round:
    delivered: int = 0
    failed: int = 0
    statuses: int = 0  # the control room's events read for report statuses


def _claim(now: dt.datetime) -> Delivery | None:
    """The next due delivery, locked (PostgreSQL skips rows another worker holds)."""
    due = Delivery.objects.filter(state=Delivery.State.PENDING, next_attempt_at__lte=now).order_by(
        "next_attempt_at", "id"
    )
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    # Forces without their boundaries: a force's GeoJSON is large and never needed here.
    related = due.select_related("report", "report__force", "report__site_force", "update")
    return related.defer("report__force__boundary", "report__site_force__boundary").first()


def deliver_one(now: dt.datetime | None = None) -> Delivery | None:
    """Deliver the next due item; None when nothing is due."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = _claim(now)
        if delivery is None:
            return None
        try:
            with transaction.atomic():
                acknowledgement = _send(delivery)
                delivery.state, delivery.delivered_at = Delivery.State.DELIVERED, timezone.now()
                delivery.acknowledgement, delivery.last_error = acknowledgement, ""
                delivery.attempts += 1
                delivery.save()
                if not delivery.update_id:
                    Report.objects.filter(pk=delivery.report_id, acknowledged_at__isnull=True).update(
                        acknowledged_at=delivery.delivered_at
                    )
                    if delivery.report.force.report_destination.kind == Destination.Kind.CONTROL:
                        services.set_status(report=delivery.report, status=Status.ASSESSING)
        except Exception as error:
            delivery.attempts += 1
            delivery.last_error = str(error)[:2000] or type(error).__name__
            delivery.next_attempt_at = now + backoff(delivery.attempts)
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.state = Delivery.State.FAILED
            delivery.save()
            logger.warning("online: delivery %s failed (attempt %s)", delivery.pk, delivery.attempts)
    return delivery


def deliver_due(*, limit: int = 100, now: dt.datetime | None = None) -> Round:
    done = Round()
    for _ in range(limit):
        delivery = deliver_one(now)
        if delivery is None:
            break
        if delivery.state == Delivery.State.DELIVERED:
            done.delivered += 1
        else:
            done.failed += 1
    return done


# Status flowing back from the control room --------------------------------------------------


def _reports_for_contacts(contact_ids: list[int]) -> dict[int, Report]:
    return {r.contact_id: r for r in Report.objects.filter(contact_id__in=contact_ids) if r.contact_id}


def _reports_for_incident(incident_id: int) -> list[Report]:
    return list(_reports_for_contacts(contact_selectors.contact_ids_of(incident_id)).values())


def _apply(event: OutboxEvent) -> None:
    """Move on the report(s) a control-room event concerns; a failure is retried by the consumer."""
    payload = event.payload
    if event.topic in {"control.incident.created", "control.contact.linked"}:
        report = _reports_for_contacts([payload.get("contact_id", 0)]).get(payload.get("contact_id", 0))
        if report:
            services.set_status(report=report, status=Status.OFFICER, source_event=event.pk)
    elif event.topic == "control.contact.resolved":
        report = _reports_for_contacts([payload.get("contact_id", 0)]).get(payload.get("contact_id", 0))
        if report:
            text = "Your report has been dealt with and is now closed. Thank you for telling us."
            services.set_status(report=report, status=Status.CLOSED, text=text, source_event=event.pk)
    elif event.topic == "control.incident.status_changed" and payload.get("status") in {"closed", "open"}:
        for report in _reports_for_incident(payload.get("incident_id", 0)):
            if payload["status"] == "closed":
                services.set_status(report=report, status=Status.CLOSED, source_event=event.pk)
            elif report.status == Status.CLOSED:  # reopened
                services.set_status(report=report, status=Status.OFFICER, source_event=event.pk)


STATUS_TOPICS = (
    "control.incident.created",
    "control.contact.linked",
    "control.contact.resolved",
    "control.incident.status_changed",
)
consumers.register(STATUS_CONSUMER, topics=STATUS_TOPICS, handle=_apply)


def sync_statuses() -> int:
    """Read the control room's events not read yet and move the matching reports on; returns
    how many events were read."""
    return consumers.run_until_idle(names=[STATUS_CONSUMER])


def run_once(*, limit: int = 100) -> Round:
    done = deliver_due(limit=limit)
    done.statuses = sync_statuses()
    return done


def failing() -> list[Delivery]:
    return list(
        Delivery.objects.exclude(state=Delivery.State.DELIVERED)
        .filter(attempts__gt=0)
        .select_related("report")
        .order_by("-attempts")
    )
