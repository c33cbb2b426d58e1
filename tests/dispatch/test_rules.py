"""What an incident needs, from requirements.json: versions by date, first match wins,
categories match as prefixes, qualifiers and grades narrow a rule."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bluelamp.core.errors import InvalidInput
from bluelamp.dispatch.rules import REQUIREMENTS_FILE, requirement_for

DAY = dt.date(2026, 11, 25)


def test_the_shipped_rules(tmp_path: Path) -> None:
    def code(category: str, qualifiers: list[str], grade: str) -> str:
        return requirement_for(category=category, qualifiers=qualifiers, grade=grade, on=DAY).code

    assert code("crime.violence", ["firearms"], "S") == "firearms"  # a qualifier beats the category
    assert code("crime.violence", ["knife"], "I") == "knife_in_progress"
    assert code("crime.violence", ["knife"], "S") == "any"  # the knife rule is for I grade only
    assert code("crime.violence", [], "I") == "violence_in_progress"
    assert code("transport.rtc_damage", [], "S") == "transport"  # 'transport' matches as a prefix
    assert code("transport.rtc_injury", [], "I") == "rtc_injury"
    assert code("crime.theft", [], "I") == "immediate"
    assert code("administration.message", [], "") == "any"


def write(path: Path, versions: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"versions": versions}), encoding="utf-8")
    return path


def test_the_version_in_force_on_the_day_applies(tmp_path: Path) -> None:
    rules = write(
        tmp_path / "requirements.json",
        [
            {"effective_from": "2026-01-01", "rules": [{"code": "old", "label": "Old", "unit_types": ["IRV"]}]},
            {"effective_from": "2027-01-01", "rules": [{"code": "new", "label": "New", "unit_types": ["IRV"]}]},
        ],
    )
    assert requirement_for(category="x", qualifiers=[], grade="I", on=DAY, path=rules).code == "old"
    assert requirement_for(category="x", qualifiers=[], grade="I", on=dt.date(2027, 1, 1), path=rules).code == "new"
    with pytest.raises(InvalidInput, match="No dispatch requirements are in force"):
        requirement_for(category="x", qualifiers=[], grade="I", on=dt.date(2025, 1, 1), path=rules)


def test_a_malformed_or_incomplete_rule_set_is_refused_clearly(tmp_path: Path) -> None:
    broken = write(tmp_path / "broken.json", [{"effective_from": "2026-01-01", "rules": [{"code": "x"}]}])
    with pytest.raises(InvalidInput, match="malformed"):
        requirement_for(category="x", qualifiers=[], grade="I", on=DAY, path=broken)
    narrow = write(
        tmp_path / "narrow.json",
        [
            {
                "effective_from": "2026-01-01",
                "rules": [{"code": "a", "label": "A", "category": "crime", "unit_types": ["IRV"]}],
            }
        ],
    )
    with pytest.raises(InvalidInput, match="catch-all"):
        requirement_for(category="transport", qualifiers=[], grade="I", on=DAY, path=narrow)


def test_every_shipped_rule_names_known_unit_types_and_skills() -> None:
    root = Path(__file__).resolve().parents[2] / "src" / "bluelamp"
    types = {t["code"] for t in json.loads((root / "control/data/unit_types.json").read_text())["unit_types"]}
    skills = {s["code"] for s in json.loads((root / "business/data/skills.json").read_text())["skills"]}
    for version in json.loads(REQUIREMENTS_FILE.read_text())["versions"]:
        for rule in version["rules"]:
            assert set(rule["unit_types"]) <= types, rule["code"]
            assert set(rule.get("skills_all", [])) | set(rule.get("skills_any", [])) <= skills, rule["code"]
