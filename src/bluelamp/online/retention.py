"""How long reporters' personal data is kept once delivered, and files of reports never sent:
a data file with effective dates."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bluelamp.core.errors import InvalidInput

RETENTION_FILE = Path(__file__).resolve().parent / "data" / "retention.json"


@dataclass(frozen=True)
class Policy:
    effective_from: dt.date
    contact_details_days: int
    evidence_days: int
    abandoned_draft_days: int  # evidence uploaded to a report never sent


@cache
def policies(path: Path = RETENTION_FILE) -> tuple[Policy, ...]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    found = []
    for number, item in enumerate(raw.get("policies", []), start=1):
        try:
            policy = Policy(
                dt.date.fromisoformat(item["effective_from"]),
                int(item["contact_details_days"]),
                int(item["evidence_days"]),
                int(item["abandoned_draft_days"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidInput(
                f"{path}, policy {number}: needs effective_from (YYYY-MM-DD), contact_details_days, "
                f"evidence_days and abandoned_draft_days ({error})."
            ) from None
        if min(policy.contact_details_days, policy.evidence_days, policy.abandoned_draft_days) < 0:
            raise InvalidInput(f"{path}, policy {number}: a number of days cannot be negative.")
        found.append(policy)
    if not found:
        raise InvalidInput(f"{path} has no policies.")
    return tuple(sorted(found, key=lambda p: p.effective_from))


def policy_on(day: dt.date, path: Path = RETENTION_FILE) -> Policy:
    """The policy in force on ``day`` (the earliest one before the first effective date)."""
    applicable = [p for p in policies(path) if p.effective_from <= day]
    return applicable[-1] if applicable else policies(path)[0]
