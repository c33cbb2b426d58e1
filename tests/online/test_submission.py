"""Evidence uploads, the submission's safeguards (idempotency, honeypot, rate limit, a session
for one force cannot send to another) and what is stored in one transaction."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from bluelamp.core.models import AuditEntry, Force, OutboxEvent
from bluelamp.online.models import Delivery, Evidence, Report
from tests.online.conftest import Walk

pytestmark = pytest.mark.django_db

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200  # a Windows program


def photo_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}  # GPS position
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def to_evidence(walk: Walk, client: Client) -> str:
    """Answer the crime questions up to the evidence page; returns its URL."""
    check = walk.answer_all("crime")
    assert check
    return walk.url("crime/evidence/")


def stored_files(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.exists() else []


def test_several_files_are_stored_with_gps_removed(walk: Walk, client: Client, evidence_dir: Path) -> None:
    url = to_evidence(walk, client)
    original = photo_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get(0x8825)  # the test photo has a GPS position
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    response = client.post(
        url,
        {"answer": [SimpleUploadedFile("IMG_0001.jpg", original), SimpleUploadedFile("letter.pdf", pdf)]},
    )
    assert response.status_code == 302
    files = stored_files(evidence_dir)
    assert len(files) == 2
    assert all(re.fullmatch(r"[0-9a-f]{32}", f.name) for f in files)  # random names, no extension
    photo = next(f for f in files if f.read_bytes()[:2] == b"\xff\xd8")
    cleaned = Image.open(photo)
    assert not cleaned.getexif()  # no camera, no GPS
    assert cleaned.size == (40, 30)
    response, _ = walk.submit(walk.url("crime/check/"))
    report = Report.objects.get()
    assert sorted(Evidence.objects.filter(report=report).values_list("original_name", flat=True)) == [
        "IMG_0001.jpg",
        "letter.pdf",
    ]


def test_a_program_renamed_jpg_is_refused_and_nothing_is_stored(walk: Walk, client: Client, evidence_dir: Path) -> None:
    url = to_evidence(walk, client)
    good = SimpleUploadedFile("fine.jpg", photo_with_gps())
    response = client.post(url, {"answer": [good, SimpleUploadedFile("holiday.jpg", EXE)]})
    assert response.status_code == 422
    page = response.content.decode()
    assert "There is a problem" in page
    assert 'href="#answer">holiday.jpg must be a JPG, PNG, HEIC, PDF, MP4 or MOV' in page
    assert 'id="answer-error"' in page
    assert stored_files(evidence_dir) == []  # not even the good file of the same upload


def test_an_oversized_file_is_refused(walk: Walk, client: Client, evidence_dir: Path, settings: object) -> None:
    settings.ONLINE_UPLOAD_MAX_BYTES = 1024 * 1024  # type: ignore[attr-defined]
    url = to_evidence(walk, client)
    big = b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 1)
    response = client.post(url, {"answer": SimpleUploadedFile("scan.pdf", big)})
    assert response.status_code == 422
    assert "scan.pdf must be smaller than 1MB" in response.content.decode()
    assert stored_files(evidence_dir) == []


def test_a_virus_scan_hook_refuses_an_infected_file(
    walk: Walk, client: Client, evidence_dir: Path, settings: object
) -> None:
    settings.ONLINE_VIRUS_SCANNER = "tests.online.scanner.eicar_only"  # type: ignore[attr-defined]
    url = to_evidence(walk, client)
    infected = b"%PDF-1.4\nX5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
    response = client.post(url, {"answer": SimpleUploadedFile("doc.pdf", infected)})
    assert response.status_code == 422
    assert "doc.pdf contains a virus" in response.content.decode()
    assert stored_files(evidence_dir) == []


def test_a_double_submit_gives_the_same_reference(walk: Walk, client: Client) -> None:
    check = walk.answer_all("crime")
    page = client.get(check).content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    first = client.post(check, {"idempotency_key": key})
    second = client.post(check, {"idempotency_key": key})
    assert first["Location"] == second["Location"] == walk.url("crime/done/")
    assert Report.objects.count() == 1
    assert Delivery.objects.count() == 1
    assert OutboxEvent.objects.filter(topic="online.report.submitted").count() == 1
    assert Report.objects.get().reference in client.get(second["Location"]).content.decode()


def test_the_honeypot_stores_nothing(walk: Walk, client: Client) -> None:
    check = walk.answer_all("crime")
    page = client.get(check).content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post(check, {"idempotency_key": key, "website": "http://spam.example"})
    assert response.status_code == 302
    assert Report.objects.count() == 0


def test_a_met_session_cannot_send_a_report_through_the_city_site(walk: Walk, client: Client) -> None:
    check = walk.answer_all("crime")
    page = client.get(check).content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    # The same session, the same form, posted to another force's site:
    response = client.post("/sites/city/report/crime/check/", {"idempotency_key": key})
    assert response["Location"] == "/sites/city/report/crime/"
    assert client.get("/sites/city/report/crime/check/")["Location"] == "/sites/city/report/crime/"
    # ... and a draft copied under the City key, still naming the Met, is refused too.
    session = client.session
    met_draft = next(v for k, v in session.items() if k.startswith("online:draft:"))
    city_id = walk_force_id("city")
    session[f"online:draft:{city_id}:crime"] = met_draft
    session.save()
    response = client.post("/sites/city/report/crime/check/", {"idempotency_key": key})
    assert response["Location"] == "/sites/city/report/crime/"
    assert Report.objects.count() == 0


def walk_force_id(code: str) -> int:
    from bluelamp.core.models import Force

    return Force.objects.get(code=code).pk


def test_submissions_are_rate_limited_per_address(walk: Walk, client: Client, settings: object) -> None:
    settings.ONLINE_SUBMIT_RATE = "2/m"  # type: ignore[attr-defined]
    for _ in range(2):
        walk.report("lost-found")
    check = walk.answer_all("lost-found")
    response, _ = walk.submit(check)
    assert response.status_code == 429
    assert "too many attempts" in response.content.decode()
    assert Report.objects.count() == 2


def test_the_submission_is_audited_without_personal_data_in_the_entry(walk: Walk) -> None:
    reference = walk.report("crime")
    entry = AuditEntry.objects.get(record_type="online.report")
    assert entry.operation == "collection"
    assert "sam@example.com" not in str(entry.details)
    assert reference in str(entry.details)


def test_no_personal_data_in_urls(walk: Walk, client: Client) -> None:
    walk.report("crime")
    for url in walk.pages:
        assert "sam" not in url.lower()
        assert "@" not in url


def test_the_receipt_is_sent_by_the_service_once_the_report_commits(
    walk: Walk, django_capture_on_commit_callbacks: Any
) -> None:
    from bluelamp.online import services
    from bluelamp.online.catalogue import catalogue
    from bluelamp.online.models import SentMessage

    check = walk.answer_all("crime")
    assert check  # the reporter's answers, as the check page would send them
    site = Force.objects.get(code="met")
    journey = catalogue().journey("crime")
    assert journey is not None
    answers = walk.client.session[f"online:draft:{site.pk}:crime"]
    with django_capture_on_commit_callbacks(execute=False) as waiting:
        made = services.submit_report(
            site_force=site,
            journey=journey,
            answers=answers["answers"],
            idempotency_key="k" * 32,
            track_url="https://example.test/track",
        )
    assert made.created
    assert not SentMessage.objects.filter(report=made.report).exists()  # nothing before the commit
    for callback in waiting:
        callback()
    receipt = SentMessage.objects.get(report=made.report)
    assert made.code in receipt.body
    assert "https://example.test/track" in receipt.body
    with django_capture_on_commit_callbacks(execute=True):  # the same form sent again: no second receipt
        again = services.submit_report(
            site_force=site, journey=journey, answers=answers["answers"], idempotency_key="k" * 32
        )
    assert not again.created
    assert SentMessage.objects.filter(report=made.report).count() == 1
