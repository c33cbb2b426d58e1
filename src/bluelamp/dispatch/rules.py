"""Dispatch rules as data: the AVL checks, the travel-time model and what incidents need.
Read once per process (``functools.cache``); tests and operators pass another file."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bluelamp.core.errors import InvalidInput

DATA = Path(__file__).resolve().parent / "data"
AVL_FILE = DATA / "avl.json"
TRAVEL_FILE = DATA / "travel.json"
REQUIREMENTS_FILE = DATA / "requirements.json"
GRADE_RANK = {"I": 4, "S": 3, "E": 2, "R": 1, "": 0}


@dataclass(frozen=True)
class AvlRules:
    stale_after_seconds: float = 120
    sample_every_seconds: float = 30
    max_clock_skew_seconds: float = 30
    max_age_seconds: float = 86400
    max_reported_speed_mps: float = 70
    max_implied_speed_mps: float = 90
    implied_speed_window_seconds: float = 600
    service_area_buffer_metres: float = 5000
    max_batch_items: int = 5000
    capabilities_ttl_seconds: float = 60
    units_ttl_seconds: float = 300


@cache
def avl_rules(path: Path = AVL_FILE) -> AvlRules:
    raw = json.loads(path.read_text(encoding="utf-8"))
    known = AvlRules.__dataclass_fields__
    return AvlRules(**{key: value for key, value in raw.items() if key in known})


@dataclass(frozen=True)
class TravelRules:
    router: str
    road_factor: float
    shortlist: int
    speeds_kmh: dict[str, dict[str, float]]

    def speed_mps(self, unit_type: str, grade: str) -> float:
        profile = self.speeds_kmh.get(unit_type, self.speeds_kmh["default"])
        return float(profile["emergency" if grade == "I" else "normal"]) / 3.6


@cache
def travel_rules(path: Path = TRAVEL_FILE) -> TravelRules:
    raw = json.loads(path.read_text(encoding="utf-8"))
    if "default" not in raw["speeds_kmh"]:
        raise InvalidInput(f"{path.name}: speeds_kmh needs a 'default' profile.")
    return TravelRules(
        router=str(raw.get("router", "bluelamp.dispatch.routing.StraightLineRouter")),
        road_factor=float(raw["road_factor"]),
        shortlist=int(raw.get("shortlist", 20)),
        speeds_kmh={key: {k: float(v) for k, v in value.items()} for key, value in raw["speeds_kmh"].items()},
    )


@dataclass(frozen=True)
class Requirement:
    """What an incident needs: the rule that matched it."""

    code: str
    label: str
    unit_types: tuple[str, ...]
    skills_all: tuple[str, ...] = ()
    skills_any: tuple[str, ...] = ()
    units: int = 1
    category: str = ""
    qualifiers: tuple[str, ...] = ()
    grades: tuple[str, ...] = ()

    def matches(self, category: str, qualifiers: list[str], grade: str) -> bool:
        if self.category and not (category == self.category or category.startswith(self.category + ".")):
            return False
        if not set(self.qualifiers) <= set(qualifiers):
            return False
        return not self.grades or grade in self.grades


def _requirement(spec: dict[str, Any]) -> Requirement:
    try:
        requirement = Requirement(
            code=str(spec["code"]),
            label=str(spec["label"]),
            unit_types=tuple(spec["unit_types"]),
            skills_all=tuple(spec.get("skills_all", ())),
            skills_any=tuple(spec.get("skills_any", ())),
            units=int(spec.get("units", 1)),
            category=str(spec.get("category", "")),
            qualifiers=tuple(spec.get("qualifiers", ())),
            grades=tuple(spec.get("grades", ())),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidInput(f"A requirement rule is malformed ({error}): {spec}") from None
    if not requirement.unit_types or requirement.units < 1:
        raise InvalidInput(f"Rule {requirement.code}: give at least one unit type and units >= 1.")
    return requirement


@cache
def requirement_versions(path: Path = REQUIREMENTS_FILE) -> tuple[tuple[dt.date, tuple[Requirement, ...]], ...]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    versions = []
    for version in raw["versions"]:
        rules = tuple(_requirement(spec) for spec in version["rules"])
        versions.append((dt.date.fromisoformat(version["effective_from"]), rules))
    return tuple(sorted(versions, key=lambda v: v[0]))


def requirement_for(
    *, category: str, qualifiers: list[str], grade: str, on: dt.date, path: Path = REQUIREMENTS_FILE
) -> Requirement:
    """The first rule of the version in force ``on`` that matches the incident."""
    in_force = [rules for start, rules in requirement_versions(path) if start <= on]
    if not in_force:
        raise InvalidInput(f"No dispatch requirements are in force on {on.isoformat()}: check {path.name}.")
    for requirement in in_force[-1]:
        if requirement.matches(category, qualifiers, grade):
            return requirement
    raise InvalidInput(f"No dispatch requirement matches category {category!r} grade {grade!r}: add a catch-all rule.")
