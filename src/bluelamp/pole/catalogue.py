"""The POLE catalogue as data: object and event kinds, link roles and warning marker types
(``data/*.json``), and the normal forms of identifiers. Pure functions; no database."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
CATALOGUE_FILE = DATA_DIR / "pole_catalogue.json"
MARKERS_FILE = DATA_DIR / "warning_markers.json"
VEHICLE = "vehicle"
INCIDENT = "incident"


@cache
def _read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _choices(path: Path, key: str) -> list[tuple[str, str]]:
    return [(entry["code"], entry["label"]) for entry in _read(path)[key]]


# Callables, so that models take their choices from the data (Django 5 accepts them and the
# migration keeps a reference, not a copy).
def object_kinds() -> list[tuple[str, str]]:
    return _choices(CATALOGUE_FILE, "object_kinds")


def event_kinds() -> list[tuple[str, str]]:
    return _choices(CATALOGUE_FILE, "event_kinds")


def link_roles() -> list[tuple[str, str]]:
    return _choices(CATALOGUE_FILE, "link_roles")


def marker_types() -> list[tuple[str, str]]:
    return _choices(MARKERS_FILE, "marker_types")


def marker_label(code: str) -> str:
    return dict(marker_types()).get(code, code)


def review_months(marker_type: str) -> int:
    """The default months until a marker of this type is reviewed (a force policy setting)."""
    for entry in _read(MARKERS_FILE)["marker_types"]:
        if entry["code"] == marker_type:
            return int(entry["review_months"])
    raise KeyError(marker_type)


_NOT_PLATE = re.compile(r"[^A-Z0-9]")


def normalise_plate(plate: str) -> str:
    """A registration mark as ANPR and the DVLA compare it: upper case, letters and digits
    only ("ab12 cde", "AB-12-CDE" -> "AB12CDE")."""
    return _NOT_PLATE.sub("", plate.upper())


def normalise_address(address: str) -> str:
    """An address for comparison: case, apostrophes, commas and repeated spaces do not matter."""
    without_apostrophes = re.sub(r"['\u2019]", "", address.casefold())
    return " ".join(re.sub(r"[^\w\s]", " ", without_apostrophes).split())
