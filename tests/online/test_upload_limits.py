"""What an anonymous visitor can make the service spend: memory on a picture, requests, disk
for drafts never sent."""

from __future__ import annotations

import datetime as dt
import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from bluelamp.online import services
from bluelamp.online.models import Evidence
from tests.online.conftest import Walk
from tests.online.test_submission import stored_files, to_evidence

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


def huge_png(side: int) -> bytes:
    """A grey PNG of side by side pixels, made row by row so that the test never holds the
    picture itself: the file is small, the decoded picture is side squared bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = b"\x00" * (side + 1)  # filter byte, then one grey byte a pixel
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def memory_kb(field: str) -> int:
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith(field + ":")))


def test_a_picture_of_too_many_pixels_is_refused_before_it_is_decoded(
    walk: Walk, client: Client, evidence_dir: Path
) -> None:
    url = to_evidence(walk, client)
    png = huge_png(13_000)
    assert len(png) < 1 * MB  # small on the wire: 169 million pixels once decoded
    before = memory_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # restart the peak (VmHWM) from here
    response = client.post(url, {"answer": SimpleUploadedFile("big.png", png)})
    grown_mb = (memory_kb("VmHWM") - before) / 1024
    assert response.status_code == 422
    assert "big.png is too large a picture: it must have fewer than 40 million pixels" in response.content.decode()
    assert stored_files(evidence_dir) == []
    assert grown_mb < 200, f"the worker grew by {grown_mb:.0f} MB"


def test_a_picture_within_the_limit_is_still_accepted(walk: Walk, client: Client, evidence_dir: Path) -> None:
    url = to_evidence(walk, client)
    response = client.post(url, {"answer": SimpleUploadedFile("ok.png", huge_png(500))})
    assert response.status_code == 302
    assert len(stored_files(evidence_dir)) == 1


def test_public_posts_are_rate_limited_per_address_with_a_clear_page(
    walk: Walk, client: Client, settings: object
) -> None:
    settings.ONLINE_PUBLIC_POST_RATE = "3/m"  # type: ignore[attr-defined]
    answers = [client.post(walk.url("crime/"), {"danger": "no"}).status_code for _ in range(4)]
    assert answers == [302, 302, 302, 429]
    refused = client.post(walk.url("crime/"), {"danger": "no"}, REMOTE_ADDR="127.0.0.1")
    assert refused.status_code == 429
    assert "Too many" in refused.content.decode()
    other_visitor = Client(REMOTE_ADDR="10.0.0.9")
    assert other_visitor.post(walk.url("crime/"), {"danger": "no"}).status_code == 302


def test_public_posts_are_rate_limited_per_session_whatever_the_address(
    walk: Walk, client: Client, settings: object
) -> None:
    settings.ONLINE_PUBLIC_POST_RATE = "3/m"  # type: ignore[attr-defined]
    # One session spread over many addresses (a botnet sharing a cookie) is counted as one.
    answers = [
        client.post(walk.url("crime/"), {"danger": "no"}, REMOTE_ADDR=f"10.0.1.{n}").status_code for n in range(5)
    ]
    assert answers[-1] == 429


def test_drafts_are_limited_in_megabytes_per_session(
    walk: Walk, client: Client, evidence_dir: Path, settings: object
) -> None:
    settings.ONLINE_DRAFT_MAX_BYTES = 1 * MB  # type: ignore[attr-defined]
    url = to_evidence(walk, client)
    pdf = b"%PDF-1.4\n" + b"0" * (600 * 1024)
    assert client.post(url, {"answer": SimpleUploadedFile("one.pdf", pdf)}).status_code == 302
    refused = client.post(url, {"answer": SimpleUploadedFile("two.pdf", pdf)})
    assert refused.status_code == 422
    assert "You can upload up to 1MB of files with one report" in refused.content.decode()
    assert len(stored_files(evidence_dir)) == 1


def test_abandoned_draft_files_are_purged_on_the_retention_schedule(walk: Walk, evidence_dir: Path) -> None:
    reference = walk.report("crime")
    evidence_dir.mkdir(exist_ok=True)
    kept = evidence_dir / ("a" * 32)  # a sent report's evidence
    kept.write_bytes(b"%PDF")
    from bluelamp.online.models import Report

    Evidence.objects.create(
        report=Report.objects.get(reference=reference), stored_name=kept.name, original_name="x.pdf",
        content_type="application/pdf", size=4, sha256="0" * 64,
    )  # fmt: skip
    abandoned = evidence_dir / ("b" * 32)  # uploaded to a draft never sent
    abandoned.write_bytes(b"%PDF")
    fresh = evidence_dir / ("c" * 32)  # a draft still being filled in
    fresh.write_bytes(b"%PDF")
    three_days_ago = (timezone.now() - dt.timedelta(days=3)).timestamp()
    for path in (kept, abandoned):
        os.utime(path, (three_days_ago, three_days_ago))
    purged = services.purge_reports()
    assert purged.drafts == 1
    assert (kept.exists(), abandoned.exists(), fresh.exists()) == (True, False, True)


def test_a_png_made_by_the_test_is_what_it_says() -> None:
    from PIL import Image

    with Image.open(io.BytesIO(huge_png(300))) as image:
        assert image.size == (300, 300)
        image.load()
        assert image.getpixel((10, 10)) == 0
