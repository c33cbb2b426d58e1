"""Retention: once the destination has acknowledged a report, the reporter's contact details
are kept for the period in retention.json, then erased by `bluelamp purge-reports`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from bluelamp.core.models import AuditEntry
from bluelamp.online import delivery, retention, services
from bluelamp.online.models import Evidence, Report, SentMessage
from tests.online.conftest import Walk

pytestmark = pytest.mark.django_db


def test_policy_by_effective_date(tmp_path: Path) -> None:
    path = tmp_path / "retention.json"
    path.write_text(
        '{"policies": [{"effective_from": "2026-01-01", "contact_details_days": 30, "evidence_days": 90,'
        ' "abandoned_draft_days": 2},'
        ' {"effective_from": "2027-04-01", "contact_details_days": 14, "evidence_days": 60,'
        ' "abandoned_draft_days": 2}]}'
    )
    assert retention.policy_on(dt.date(2027, 3, 31), path).contact_details_days == 30
    assert retention.policy_on(dt.date(2027, 4, 1), path).contact_details_days == 14


def test_purge_erases_contact_details_after_the_retention_period(walk: Walk, evidence_dir: Path) -> None:
    kept = walk.report("lost-found")
    reference = walk.report("crime")
    Evidence.objects.create(
        report=Report.objects.get(reference=reference), stored_name="a" * 32, original_name="x.pdf",
        content_type="application/pdf", size=3, sha256="0" * 64,
    )  # fmt: skip
    evidence_dir.mkdir(exist_ok=True)
    (evidence_dir / ("a" * 32)).write_bytes(b"pdf")
    delivery.run_once()
    long_ago = timezone.now() - dt.timedelta(days=200)
    Report.objects.filter(reference=reference).update(acknowledged_at=long_ago)
    call_command("purge_reports")
    purged = Report.objects.get(reference=reference)
    assert (purged.reporter_name, purged.reporter_email, purged.reporter_phone) == ("", "", "")
    assert "contact" not in purged.answers
    assert purged.answers["what_happened"]
    assert purged.personal_data_purged_at is not None
    assert not SentMessage.objects.filter(report=purged).exists()
    assert not Evidence.objects.filter(report=purged).exists()
    assert not (evidence_dir / ("a" * 32)).exists()
    assert AuditEntry.objects.filter(operation="erasure", record_type="online.report").count() == 1
    recent = Report.objects.get(reference=kept)
    assert recent.reporter_email == "sam@example.com"  # acknowledged today: kept for now
    assert services.purge_reports().reports == 0  # nothing left to do


def test_not_yet_acknowledged_reports_are_never_purged(walk: Walk) -> None:
    reference = walk.report("crime")
    Report.objects.filter(reference=reference).update(submitted_at=timezone.now() - dt.timedelta(days=400))
    assert services.purge_reports().reports == 0
    assert Report.objects.get(reference=reference).reporter_email
