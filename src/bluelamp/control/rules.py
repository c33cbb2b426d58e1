"""Rules set by policy, read from the JSON files in ``data/`` (rules as data): NSIR categories
and qualifiers, the grading rules that turn a THRIVE assessment into a suggested grade, the
ways a contact is resolved and what counts as a duplicate. Pure functions, no database."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bluelamp.control.models import THRIVE_DIMENSIONS, Incident
from bluelamp.core.errors import InvalidInput

DATA_DIR = Path(__file__).resolve().parent / "data"
NSIR_FILE = DATA_DIR / "nsir.json"
GRADING_RULES_FILE = DATA_DIR / "grading_rules.json"
CONTACTS_FILE = DATA_DIR / "contacts.json"
GRADE_TARGETS_FILE = DATA_DIR / "grade_targets.json"

Status = Incident.Status
# The lifecycle: which status may follow which. Anything else is refused by the service layer.
NEXT_STATUSES: dict[str, frozenset[str]] = {
    Status.OPEN: frozenset({Status.RESOURCED, Status.AT_SCENE, Status.CLOSED}),
    Status.RESOURCED: frozenset({Status.OPEN, Status.AT_SCENE, Status.CLOSED}),
    Status.AT_SCENE: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset({Status.OPEN}),
}


@cache
def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


# NSIR -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    requires_one_of: tuple[str, ...] = ()


@cache
def nsir_categories() -> dict[str, Category]:
    """Every category an incident can carry: the sub-categories, and top-level categories that
    have none (anti-social behaviour, which takes a Personal / Nuisance / Environmental qualifier)."""
    found: dict[str, Category] = {}
    for top in _read(NSIR_FILE)["categories"]:
        subcategories = top.get("subcategories", [])
        if not subcategories:
            found[top["code"]] = Category(top["code"], top["name"], tuple(top.get("requires_one_of", [])))
        for sub in subcategories:
            found[sub["code"]] = Category(sub["code"], f"{top['name']}: {sub['name']}")
    return found


@cache
def nsir_qualifiers() -> dict[str, str]:
    return {q["code"]: q["name"] for q in _read(NSIR_FILE)["qualifiers"]}


def check_category(category: str, qualifiers: list[str], *, what: str = "category") -> None:
    """Refuse an unknown NSIR category or qualifier, or ASB without its type."""
    categories = nsir_categories()
    if category not in categories:
        raise InvalidInput(
            f"{category!r} is not an NSIR {what}: use a code from control/data/nsir.json, e.g. "
            "'public_safety.concern_for_safety' or 'asb'."
        )
    unknown = [q for q in qualifiers if q not in nsir_qualifiers()]
    if unknown:
        raise InvalidInput(f"Unknown NSIR qualifiers: {', '.join(unknown)}.")
    needed = categories[category].requires_one_of
    if needed and len(set(needed) & set(qualifiers)) != 1:
        raise InvalidInput(f"{categories[category].name} needs exactly one of these qualifiers: {', '.join(needed)}.")


# Grading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    grade: str
    reason: str


def _holds(condition: Mapping[str, str], levels: Mapping[str, str], order: list[str]) -> bool:
    return all(order.index(levels[dimension]) >= order.index(level) for dimension, level in condition.items())


def _rule_applies(rule: Mapping[str, Any], levels: Mapping[str, str], order: list[str]) -> bool:
    if "if_all" in rule:
        return all(_holds(condition, levels, order) for condition in rule["if_all"])
    return any(_holds(condition, levels, order) for condition in rule.get("if_any", []))


def check_levels(levels: Mapping[str, str]) -> None:
    order = _read(GRADING_RULES_FILE)["levels"]
    missing = [d for d in THRIVE_DIMENSIONS if d not in levels]
    if missing:
        raise InvalidInput(f"A THRIVE assessment needs a level for each of: {', '.join(missing)}.")
    wrong = [f"{d}={levels[d]!r}" for d in THRIVE_DIMENSIONS if levels[d] not in order]
    if wrong:
        raise InvalidInput(f"Levels must be one of {', '.join(order)}: not {', '.join(wrong)}.")


def suggest_grade(levels: Mapping[str, str], rules_file: Path = GRADING_RULES_FILE) -> Suggestion:
    """The grade the rules suggest for a THRIVE assessment: the most urgent grade proposed by a
    rule that applies, or the default."""
    check_levels(levels)
    rules = _read(rules_file)
    order, urgency = rules["levels"], rules["urgency"]
    proposals = [r for r in rules["rules"] if _rule_applies(r, levels, order)]
    if not proposals:
        return Suggestion(rules["default"], "No rule applies: the default grade")
    best = min(proposals, key=lambda rule: urgency.index(rule["grade"]))
    return Suggestion(best["grade"], best.get("why", ""))


# Contacts ---------------------------------------------------------------------------------


@cache
def resolution_codes() -> dict[str, str]:
    return {r["code"]: r["name"] for r in _read(CONTACTS_FILE)["resolutions"]}


@dataclass(frozen=True)
class DuplicateWindow:
    radius_metres: float
    window_minutes: int


def duplicate_window() -> DuplicateWindow:
    spec = _read(CONTACTS_FILE)["duplicates"]
    return DuplicateWindow(float(spec["radius_metres"]), int(spec["window_minutes"]))


# Resources --------------------------------------------------------------------------------

UNIT_TYPES_FILE = DATA_DIR / "unit_types.json"
UNIT_STATUSES_FILE = DATA_DIR / "unit_statuses.json"
STATUS_TIMERS_FILE = DATA_DIR / "status_timers.json"


def unit_type_specs(path: Path = UNIT_TYPES_FILE) -> list[dict[str, Any]]:
    specs: list[dict[str, Any]] = _read(path)["unit_types"]
    return specs


def unit_status_specs(path: Path = UNIT_STATUSES_FILE) -> list[dict[str, Any]]:
    specs: list[dict[str, Any]] = _read(path)["statuses"]
    return specs


@dataclass(frozen=True)
class StatusTimer:
    base_type: str
    minutes: int
    prompt: str


def status_timers(day: dt.date, path: Path = STATUS_TIMERS_FILE) -> list[StatusTimer]:
    """The timers in force on ``day``: the newest rule set that had started, longest first within
    a base type (so the most serious prompt that applies is found first)."""
    started = [s for s in _read(path)["rule_sets"] if dt.date.fromisoformat(s["effective_from"]) <= day]
    if not started:
        return []
    newest = max(started, key=lambda s: s["effective_from"])
    timers = [StatusTimer(t["base_type"], int(t["minutes"]), t["prompt"]) for t in newest["timers"]]
    return sorted(timers, key=lambda t: (t.base_type, -t.minutes))
