"""Writes for the Single Online Home. Each state change is one function with keyword-only
arguments, in one transaction, with its audit entry (personal data collected or erased) and
its event in the outbox."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from bluelamp.core import audit
from bluelamp.core.access import Actor, require
from bluelamp.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bluelamp.core.events import emit
from bluelamp.core.models import Force
from bluelamp.online import notify, retention
from bluelamp.online.catalogue import Journey
from bluelamp.online.models import Delivery, Evidence, Report, ReportUpdate, SentMessage, Status
from bluelamp.online.routing import route

REPORT = "online.report"  # audit record type
PUBLIC = "member of the public (online)"  # the actor of a public submission
# No 0/O, 1/I/L, 5/S or 8/B: a reference read out on the phone is not misheard.
ALPHABET = "234679ACDEFGHJKMNPQRTUVWXYZ"
CODE_LENGTH = 8
MAX_TRACKING_FAILURES = 5

STATUS_TEXT = {
    Status.RECEIVED: "We have received your report.",
    Status.ASSESSING: "Your report is being assessed by the control room.",
    Status.OFFICER: "Your report has been passed to an officer.",
    Status.CRIME_REFERENCE: "Your report has been recorded as a crime and given a crime reference.",
    Status.CLOSED: "Your report is closed.",
}


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def hash_code(code: str) -> str:
    """The tracking code as stored: an HMAC, so the table alone cannot give it back."""
    normalised = code.strip().upper().replace(" ", "").replace("-", "")
    return hmac.new(settings.SECRET_KEY.encode(), f"online-code:{normalised}".encode(), hashlib.sha256).hexdigest()


def new_reference(force: Force, on: dt.date) -> str:
    return f"{force.code.upper()}-{on:%Y%m%d}-{_random(6)}"


@dataclass(frozen=True)
class Submitted:
    report: Report
    code: str  # the tracking code in clear: only ever in this object, then in the receipt email
    created: bool


def _check_answers(journey: Journey, answers: dict[str, Any]) -> dict[str, Any]:
    """Only the answers to questions this person was asked; every required one given."""
    kept: dict[str, Any] = {}
    for question in journey.visible(answers):
        value = answers.get(question.id)
        if value in (None, "", [], {}):
            if question.required and question.type != "evidence":
                raise InvalidInput(f"Answer '{question.label}' before sending the report.")
            continue
        if question.type in {"radios", "yes_no"}:
            chosen = question.option(str(value))
            if chosen is None:
                raise InvalidInput(f"'{value}' is not an answer to '{question.label}'.")
            if chosen.signpost:
                raise InvalidInput(f"'{question.label}': this cannot be reported online.")
        kept[question.id] = value
    return kept


def _reporter(journey: Journey, answers: dict[str, Any]) -> dict[str, str]:
    contact = next((q for q in journey.questions if q.type == "contact"), None)
    given = answers.get(contact.id) if contact else None
    if not given:
        if not journey.anonymous_allowed:
            raise InvalidInput("Give your contact details: this kind of report cannot be made anonymously.")
        return {}
    return {"name": given.get("name", ""), "email": given.get("email", ""), "phone": given.get("phone", "")}


def submit_report(
    *,
    site_force: Force,
    journey: Journey,
    answers: dict[str, Any],
    idempotency_key: str,
    track_url: str = "",
    now: dt.datetime | None = None,
) -> Submitted:
    """Store a report from the public with its evidence, queue its delivery and emit
    ``online.report.submitted``, in one transaction; once it commits, e-mail the reporter the
    receipt (with ``track_url``, where to follow it). The same idempotency key gives back the
    report made the first time (a double-clicked button, a resent form), with no second receipt."""
    if not 20 <= len(idempotency_key) <= 64:
        raise InvalidInput("The form has expired: start the report again.")
    existing = Report.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.site_force_id != site_force.pk:
            raise NotFound("No such report on this site.")
        return Submitted(existing, "", created=False)
    kept = _check_answers(journey, answers)
    location_question = next(q for q in journey.visible(kept) if q.type == "location")
    location = kept.get(location_question.id) or {}
    routed = route(site_force, location)
    if routed.force is None or routed.outcome not in {"here", "other"}:
        raise InvalidInput("That place is outside the areas we cover: contact the police force for that area.")
    reporter = _reporter(journey, kept)
    category, qualifiers, hocr = journey.classification(kept)
    people = [kept[q.id] for q in journey.visible(kept) if q.type == "person" and q.id in kept]
    vehicles = [kept[q.id] for q in journey.visible(kept) if q.type == "vehicle" and q.id in kept]
    files = [f for q in journey.visible(kept) if q.type == "evidence" for f in kept.get(q.id) or []]
    now = now or timezone.now()
    code = _random(CODE_LENGTH) if reporter.get("email") else ""
    for _ in range(5):
        report = Report(
            reference=new_reference(routed.force, timezone.localdate(now)),
            force=routed.force,
            site_force=site_force,
            journey=journey.slug,
            journey_title=journey.title,
            submitted_at=now,
            idempotency_key=idempotency_key,
            category=category,
            qualifiers=qualifiers,
            hocr_class=hocr,
            description=str(kept.get(journey.description_from, "")) if journey.description_from else "",
            answers=kept,
            address=location.get("address", ""),
            lat=location.get("lat"),
            lon=location.get("lon"),
            people=people,
            vehicles=vehicles,
            anonymous=not reporter,
            reporter_name=reporter.get("name", ""),
            reporter_email=reporter.get("email", ""),
            reporter_phone=reporter.get("phone", ""),
            tracking_code_hash=hash_code(code) if code else "",
        )
        try:
            with transaction.atomic():
                report.save()
                _store_submission(report, files, now)
        except IntegrityError:
            again = Report.objects.filter(idempotency_key=idempotency_key).first()
            if again is not None:  # the same form, sent twice at once: the first one won
                return Submitted(again, "", created=False)
            continue  # the random reference was taken: draw another
        if code:  # sent only once the report is there for good
            transaction.on_commit(partial(notify.send_receipt, report=report, code=code, track_url=track_url))
        return Submitted(report, code, created=True)
    raise Conflict("Could not give the report a reference: try again.")  # pragma: no cover


def _store_submission(report: Report, files: list[dict[str, Any]], now: dt.datetime) -> None:
    Evidence.objects.bulk_create(
        Evidence(
            report=report,
            stored_name=f["id"],
            original_name=f["name"],
            content_type=f["type"],
            size=f["size"],
            sha256=f["sha256"],
        )
        for f in files
    )
    ReportUpdate.objects.create(report=report, at=now, kind=ReportUpdate.Kind.STATUS, text=STATUS_TEXT[Status.RECEIVED])
    Delivery.objects.create(report=report, next_attempt_at=now)
    if not report.anonymous or report.people:
        audit.record(
            operation=audit.Operation.COLLECTION,
            actor=PUBLIC,
            record_type=REPORT,
            record_ids=[report.pk],
            force=report.force,
            details={"journey": report.journey, "reference": report.reference},
        )
    emit("online.report.submitted", force=report.force, report_id=report.pk, reference=report.reference)


# Tracking ---------------------------------------------------------------------------------


def open_tracking(*, reference: str, code: str) -> Report:
    """The report for a reference and its tracking code. After five wrong codes the report can
    no longer be tracked online (the person calls 101): guessing codes gets nowhere."""
    refused = PermissionDenied("The reference number or tracking code is not right. Check the email we sent you.")
    reference = reference.strip().upper()
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(reference=reference).first()
        if report is None or not report.tracking_code_hash:
            raise refused
        if report.tracking_failures >= MAX_TRACKING_FAILURES:
            raise PermissionDenied(
                "This report can no longer be tracked online because of too many wrong codes. Call 101 and give "
                "your reference number."
            )
        if not hmac.compare_digest(report.tracking_code_hash, hash_code(code)):
            report.tracking_failures += 1
            report.save(update_fields=["tracking_failures"])
            emit("online.report.tracking_refused", force=report.force, report_id=report.pk)
            refused_now = refused
        else:
            return report
    raise refused_now


@transaction.atomic
def add_information(*, report: Report, text: str, now: dt.datetime | None = None) -> ReportUpdate:
    """More information from the reporter, delivered to the force like the report itself."""
    text = text.strip()
    if not text:
        raise InvalidInput("Enter the information you want to add")
    if report.status == Status.CLOSED:
        raise Conflict("This report is closed: call 101 if you have new information.")
    now = now or timezone.now()
    update = ReportUpdate.objects.create(report=report, at=now, kind=ReportUpdate.Kind.REPORTER, text=text)
    Delivery.objects.create(report=report, update=update, next_attempt_at=now)
    audit.record(
        operation=audit.Operation.COLLECTION,
        actor=PUBLIC,
        record_type=REPORT,
        record_ids=[report.pk],
        force=report.force,
        details={"addition": update.pk},
    )
    emit("online.report.information_added", force=report.force, report_id=report.pk, update_id=update.pk)
    return update


# Status and messages from the force -------------------------------------------------------

ORDER = [Status.RECEIVED, Status.ASSESSING, Status.OFFICER, Status.CRIME_REFERENCE, Status.CLOSED]


def set_status(
    *, report: Report, status: str, text: str = "", source_event: int | None = None, now: dt.datetime | None = None
) -> Report:
    """Move the report on (never back, except that a closed report reopened in the control room
    goes back to an officer), with a line for the reporter. Used by the delivery worker as the
    control room's events arrive, and by the force's own systems through the API."""
    if status not in Status.values:
        raise InvalidInput(f"{status!r} is not a status: use one of {', '.join(Status.values)}.")
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if source_event is not None and ReportUpdate.objects.filter(source_event=source_event).exists():
            return locked
        reopened = locked.status == Status.CLOSED and status == Status.OFFICER
        if ORDER.index(Status(status)) < ORDER.index(Status(locked.status)) and not reopened:
            return locked
        if status == locked.status and not text:
            return locked
        previous, locked.status = locked.status, status
        locked.save(update_fields=["status"])
        ReportUpdate.objects.create(
            report=locked,
            at=now or timezone.now(),
            kind=ReportUpdate.Kind.STATUS,
            text=text or STATUS_TEXT[Status(status)],
            source_event=source_event,
        )
        emit("online.report.status_changed", force=locked.force, report_id=locked.pk, status=status, previous=previous)
    return locked


def _own(actor: Actor, report: Report) -> None:
    if actor.force_id != report.force_id:
        raise NotFound("No online report matches that reference.")


def message_reporter(*, actor: Actor, report: Report, text: str) -> ReportUpdate:
    """A message from the force to the person who reported, shown in 'track my report'."""
    require(actor, "online.message_reporter")
    _own(actor, report)
    text = text.strip()
    if not text:
        raise InvalidInput("Write the message to the person who reported.")
    with transaction.atomic():
        update = ReportUpdate.objects.create(
            report=report, at=timezone.now(), kind=ReportUpdate.Kind.FORCE_MESSAGE, text=text
        )
        emit("online.report.message_sent", force=report.force, report_id=report.pk, update_id=update.pk)
    return update


def give_crime_reference(*, actor: Actor, report: Report, crime_reference: str) -> Report:
    """The crime recording system gave the report a crime reference: tell the reporter."""
    require(actor, "online.message_reporter")
    _own(actor, report)
    crime_reference = crime_reference.strip().upper()
    if not crime_reference or len(crime_reference) > 40:
        raise InvalidInput("Give the crime reference (up to 40 characters).")
    with transaction.atomic():
        Report.objects.filter(pk=report.pk).update(crime_reference=crime_reference)
        report.crime_reference = crime_reference
        return set_status(
            report=report,
            status=Status.CRIME_REFERENCE,
            text=f"Your report has been recorded as a crime. Your crime reference is {crime_reference}.",
        )


# Retention --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Purged:
    reports: int
    files: int
    drafts: int = 0  # files of reports never sent


def purge_reports(*, now: dt.datetime | None = None) -> Purged:
    """Erase reporters' contact details (and receipts sent to them) once the destination has
    acknowledged the report and the retention period has passed; delete evidence files kept
    past theirs. Each erasure is audited."""
    from bluelamp.online import evidence as evidence_files

    now = now or timezone.now()
    policy = retention.policy_on(timezone.localdate(now))
    contact_cutoff = now - dt.timedelta(days=policy.contact_details_days)
    due = Report.objects.filter(acknowledged_at__lte=contact_cutoff, personal_data_purged_at__isnull=True)
    reports = 0
    for report in due.iterator():
        with transaction.atomic():
            contact_question_ids = [k for k, v in report.answers.items() if isinstance(v, dict) and "email" in v]
            answers = {k: v for k, v in report.answers.items() if k not in contact_question_ids}
            Report.objects.filter(pk=report.pk).update(
                reporter_name="",
                reporter_email="",
                reporter_phone="",
                answers=answers,
                personal_data_purged_at=now,
            )
            SentMessage.objects.filter(report=report).delete()
            audit.record(
                operation=audit.Operation.ERASURE,
                actor=None,
                record_type=REPORT,
                record_ids=[report.pk],
                force=report.force,
                details={"what": "reporter contact details", "policy_from": policy.effective_from.isoformat()},
            )
            emit("online.report.personal_data_purged", force=report.force, report_id=report.pk)
        reports += 1
    evidence_cutoff = now - dt.timedelta(days=policy.evidence_days)
    old = Evidence.objects.filter(report__acknowledged_at__lte=evidence_cutoff)
    names = list(old.values_list("stored_name", flat=True))
    with transaction.atomic():
        old.delete()
        if names:
            emit("online.evidence.purged", count=len(names))
    evidence_files.discard(names)
    drafts = purge_abandoned_drafts(uploaded_before=now - dt.timedelta(days=policy.abandoned_draft_days))
    return Purged(reports, len(names), drafts)


def purge_abandoned_drafts(*, uploaded_before: dt.datetime) -> int:
    """Delete evidence files uploaded before ``uploaded_before`` that no report holds: they were
    chosen for a report that was never sent (files are stored as they are chosen)."""
    from bluelamp.online import evidence as evidence_files

    old = evidence_files.stored_before(uploaded_before)
    held = set(Evidence.objects.filter(stored_name__in=old).values_list("stored_name", flat=True))
    abandoned = [name for name in old if name not in held]
    evidence_files.discard(abandoned)
    if abandoned:
        with transaction.atomic():
            emit("online.evidence.abandoned_drafts_purged", count=len(abandoned))
    return len(abandoned)
