"""Evidence files: checked by content (magic bytes) against an allow-list, size-limited (in
bytes, and in pixels before any picture is decoded), stripped of EXIF/GPS metadata when they
are images, scanned by the configured virus scanner (none by default), then stored outside the
web root under a random name.

Nothing is written until every check has passed: a refused file leaves no trace."""

from __future__ import annotations

import hashlib
import io
import logging
import secrets
import warnings
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.module_loading import import_string
from PIL import Image, ImageOps

from bluelamp.core.errors import InvalidInput

logger = logging.getLogger(__name__)

# Content types accepted, by what the bytes say (never by the file name). Images are re-encoded.
ALLOWED: dict[str, str] = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/heic": "HEIC",
    "application/pdf": "",
    "video/mp4": "",
    "video/quicktime": "",
}
ALLOWED_NAMES = "JPG, PNG, HEIC, PDF, MP4 or MOV"

try:  # HEIC photos (iPhones): only accepted when pillow-heif can re-encode them without metadata.
    from pillow_heif import register_heif_opener

    register_heif_opener()
except ImportError:  # pragma: no cover - pillow-heif is in the lock
    ALLOWED.pop("image/heic")


class VirusFound(Exception):
    """Raised by a virus-scan hook for an infected file."""


def evidence_dir() -> Path:
    path = Path(settings.ONLINE_EVIDENCE_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _scanner() -> Callable[[bytes], None] | None:
    dotted = getattr(settings, "ONLINE_VIRUS_SCANNER", "")
    return import_string(dotted) if dotted else None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}MB"


class TooManyPixels(Exception):
    """A picture whose size in pixels would take too much memory to decode."""


def _strip_metadata(content: bytes, image_format: str) -> bytes:
    """The picture again, without EXIF (camera, GPS position), XMP or comments."""
    with warnings.catch_warnings():
        # Pillow only warns below twice its own limit; ours, checked next, is the one that counts.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            opened = Image.open(io.BytesIO(content))
        except Image.DecompressionBombError:  # beyond twice Pillow's limit it refuses by itself
            raise TooManyPixels from None
    with opened as image:
        # Opening reads only the header: a small file can declare a picture that takes gigabytes
        # once decoded, so its size is checked before anything is decoded.
        width, height = image.size
        if width * height > int(settings.ONLINE_UPLOAD_MAX_PIXELS):
            raise TooManyPixels
        upright = ImageOps.exif_transpose(image)
        clean = upright.copy()
        clean.info = {}  # nothing carried over: the encoders write only what they are given
        out = io.BytesIO()
        options: dict[str, Any] = {"quality": 92} if image_format in {"JPEG", "HEIC"} else {}
        clean.save(out, format=image_format, **options)
        return out.getvalue()


def check_and_store(upload: UploadedFile[Any]) -> dict[str, Any]:
    """Check one uploaded file and store it; the answer records it. :class:`InvalidInput` with a
    message for the person when it is refused (and then nothing is stored)."""
    name = Path(upload.name or "file").name[:200]
    limit = int(settings.ONLINE_UPLOAD_MAX_BYTES)
    if upload.size is None or upload.size > limit:
        raise InvalidInput(f"{name} must be smaller than {_megabytes(limit)}")
    if upload.size == 0:
        raise InvalidInput(f"{name} is empty")
    content = upload.read()
    kind = filetype.guess(content)
    mime = kind.mime if kind else ""
    if mime not in ALLOWED:
        raise InvalidInput(f"{name} must be a {ALLOWED_NAMES}")
    image_format = ALLOWED[mime]
    if image_format:
        try:
            content = _strip_metadata(content, image_format)
        except TooManyPixels:
            megapixels = int(settings.ONLINE_UPLOAD_MAX_PIXELS) // 1_000_000
            raise InvalidInput(
                f"{name} is too large a picture: it must have fewer than {megapixels} million pixels. "
                "Send a smaller copy of it"
            ) from None
        except Exception:
            raise InvalidInput(f"{name} could not be read as a picture: try saving it again") from None
    scanner = _scanner()
    if scanner is not None:
        try:
            scanner(content)
        except VirusFound:
            raise InvalidInput(f"{name} contains a virus: it has not been uploaded") from None
    stored_name = secrets.token_hex(16)
    path = evidence_dir() / stored_name
    with open(path, "xb") as out:
        out.write(content)
    path.chmod(0o600)
    return {
        "id": stored_name,
        "name": name,
        "type": mime,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def stored_before(moment: datetime) -> list[str]:
    """Names of the stored files written before ``moment``."""
    cutoff = moment.timestamp()
    return [p.name for p in evidence_dir().iterdir() if p.name.isalnum() and p.stat().st_mtime < cutoff]


def discard(stored_names: list[str]) -> None:
    for stored_name in stored_names:
        if stored_name.isalnum():
            (evidence_dir() / stored_name).unlink(missing_ok=True)
