"""Closest most appropriate resource: which units to send to an incident, and why.

1. What the incident needs comes from ``data/requirements.json`` (first matching rule of the
   version in force on the incident's day): unit types, authorisations every crew member or
   one crew member must hold currently, and how many units.
2. Candidates: units of those types whose crew meets its type's needs and the rule's, whose
   status is available (or, when asked, committed to a lower grade: pre-emptible), not reserved
   by a running pre-planned operation, with a known position.
3. Ranked by ETA (the :class:`~bluelamp.dispatch.routing.Router`, straight-line by default) in
   whole seconds; equal ETAs in call-sign order, so the answer never depends on chance.
4. The few units about to be offered are re-read from the database (status, commitment,
   reservation) — the index is fast, the database is the authority — and any that changed are
   dropped and the index corrected.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils import timezone

from bluelamp.control.incidents import selectors as incident_selectors
from bluelamp.core.access import Actor, require
from bluelamp.core.errors import InvalidInput
from bluelamp.core.geography import to_bng
from bluelamp.dispatch import store
from bluelamp.dispatch.index import AVAILABLE, BASE_CODES, COMMITTED, Candidate, Funnel, UnitRow
from bluelamp.dispatch.routing import Router, default_router
from bluelamp.dispatch.rules import GRADE_RANK, Requirement, avl_rules, requirement_for, travel_rules

if TYPE_CHECKING:  # named in annotations only: incidents are read through control's selectors
    from bluelamp.control.models import Incident

RECOMMEND = "dispatch.recommend_resources"
LIMIT = 5


@dataclass
class Offered:
    candidate: Candidate
    recommended: bool  # among the first ``needed``: what one keystroke sends
    matched: list[str]
    reasons: list[str]


@dataclass
class NoCandidate:
    code: str
    message: str


@dataclass
class Recommendation:
    incident: Incident
    requirement: Requirement
    grade: str
    needed: int
    offered: list[Offered]
    funnel: Funnel
    no_candidate: NoCandidate | None = None
    ties: list[str] = field(default_factory=list)
    at: dt.datetime = field(default_factory=timezone.now)


def requirement_of(incident: Incident) -> Requirement:
    return requirement_for(
        category=incident.opening_category,
        qualifiers=list(incident.opening_qualifiers or []),
        grade=incident.grade,
        on=timezone.localdate(incident.created_at),
    )


def recommend(
    *, actor: Actor, incident: Incident, preemptible: bool = False, limit: int = LIMIT, router: Router | None = None
) -> Recommendation:
    """The ``limit`` best units for ``incident`` with reasons, or why there is none."""
    require(actor, RECOMMEND)
    incident = incident_selectors.incident(actor=actor, incident_id=incident.pk)  # 404 for another force's
    if incident.lat is None or incident.lon is None:
        raise InvalidInput(f"{incident.reference} has no location yet: add one to get a recommendation.")
    requirement = requirement_of(incident)
    return rank_for(
        force_id=incident.force_id,
        incident=incident,
        requirement=requirement,
        destination=to_bng(incident.lat, incident.lon),
        preemptible=preemptible,
        limit=limit,
        router=router,
    )


def rank_for(
    *,
    force_id: int,
    incident: Incident,
    requirement: Requirement,
    destination: tuple[float, float],
    preemptible: bool = False,
    limit: int = LIMIT,
    router: Router | None = None,
    verify: bool = True,
) -> Recommendation:
    index = store.index_for(force_id)
    travel = travel_rules()
    grade = incident.grade
    speeds = {code: travel.speed_mps(code, grade) for code in travel.speeds_kmh}
    now = timezone.now()
    excluded: set[int] = set()
    for _ in range(3):
        ranked = index.rank(
            destination=destination,
            requirement=requirement,
            grade=grade,
            now=now.timestamp(),
            speeds_by_type=speeds,
            default_speed=speeds["default"],
            limit=limit,
            preemptible=preemptible,
            exclude=excluded,
            router=router or default_router(),
            shortlist=travel.shortlist,
        )
        changed = _changed_since_indexed(force_id, ranked.candidates, incident, preemptible) if verify else set()
        if not changed:
            break
        excluded |= changed
    return _explain(incident, requirement, ranked.candidates, ranked.funnel)


def _changed_since_indexed(
    force_id: int, candidates: list[Candidate], incident: Incident, preemptible: bool
) -> set[int]:
    """Units among ``candidates`` that the database says can no longer be offered (another
    worker changed them); the index is corrected for them."""
    if not candidates:
        return set()
    index = store.index_for(force_id)
    rows = {row.unit_id: row for row in store.unit_rows(force_id, [c.unit_id for c in candidates])}
    rank = GRADE_RANK.get(incident.grade, 0)
    changed = set()
    for candidate in candidates:
        row = rows.get(candidate.unit_id)
        if row is None:
            changed.add(candidate.unit_id)
            continue
        base = BASE_CODES.get(row.base_type)
        committed = GRADE_RANK.get(row.committed_grade, 0)
        free = base == AVAILABLE or (
            preemptible and base == COMMITTED and 0 < committed < rank and row.committed_incident_id != incident.pk
        )
        if not free or row.reserved:
            changed.add(candidate.unit_id)
        index.update_unit(row)
    return changed


def _minutes(seconds: int) -> str:
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def _explain(incident: Incident, requirement: Requirement, found: list[Candidate], funnel: Funnel) -> Recommendation:
    rules = avl_rules()
    needed = requirement.units
    offered = []
    for position, candidate in enumerate(found):
        matched = [f"type {candidate.unit_type} (needs one of {', '.join(requirement.unit_types)})"]
        matched += [f"every crew member holds a current {code}" for code in requirement.skills_all]
        matched += [f"a crew member holds a current {code}" for code in requirement.skills_any]
        reasons = [f"ETA {_minutes(candidate.eta_seconds)}, {candidate.distance_m / 1000:.1f} km by road (estimated)"]
        if candidate.preemptible:
            reasons.append(
                f"committed to a lower-grade incident ({candidate.committed_grade} grade, incident "
                f"{candidate.committed_incident_id}): sending it takes it off that one"
            )
        else:
            reasons.append("available")
        if candidate.stale:
            age = (timezone.now() - candidate.at).total_seconds()
            reasons.append(
                f"location is stale: last fix {_minutes(int(age))} ago (older than {rules.stale_after_seconds:g} s)"
            )
        offered.append(Offered(candidate, position < needed, matched, reasons))
    ties = [
        f"{a.call_sign} and {b.call_sign} have the same ETA ({_minutes(a.eta_seconds)}): listed in call-sign order."
        for a, b in itertools.pairwise(found)
        if a.eta_seconds == b.eta_seconds
    ]
    return Recommendation(
        incident=incident,
        requirement=requirement,
        grade=incident.grade,
        needed=needed,
        offered=offered,
        funnel=funnel,
        no_candidate=None if found else _why_none(requirement, funnel),
        ties=ties,
    )


def _why_none(requirement: Requirement, funnel: Funnel) -> NoCandidate:
    types = ", ".join(requirement.unit_types)
    skills = ", ".join([*requirement.skills_all, *requirement.skills_any])
    if funnel.of_type == 0:
        return NoCandidate("no_unit_of_type", f"Your force has no unit of the type this needs ({types}).")
    if funnel.capable == 0:
        needs = (
            f"the current authorisations its type and this incident need ({skills})" if skills else "its type's needs"
        )
        return NoCandidate(
            "no_authorisation",
            f"None of the {funnel.of_type} unit(s) of type {types} has a crew holding {needs}: "
            "crew a unit with authorised officers.",
        )
    if funnel.free == 0:
        return NoCandidate(
            "all_committed",
            f"All {funnel.capable} capable unit(s) are committed, unavailable or off duty.",
        )
    if funnel.not_reserved == 0:
        return NoCandidate(
            "all_reserved",
            f"All {funnel.free} free capable unit(s) are reserved for a running pre-planned operation.",
        )
    return NoCandidate(
        "no_location",
        f"{funnel.not_reserved} free capable unit(s) have no known location: their AVL has not reported.",
    )


def unit_row_for(unit_id: int, force_id: int) -> UnitRow | None:
    rows = store.unit_rows(force_id, [unit_id])
    return rows[0] if rows else None
