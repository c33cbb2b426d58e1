"""Property tests (Hypothesis) of the ranking over the in-memory index: whatever the units,
their types, crews, statuses, reservations and positions,

* every unit returned is eligible (type, crew capability, status, reservation, position);
* results come in order of ETA (ties in call-sign order), and the top result is never slower
  than any eligible unit — checked against a brute-force computation of every unit's ETA;
* when no unit is returned, no unit was eligible."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bluelamp.dispatch.index import Capability, ForceIndex, UnitRow
from bluelamp.dispatch.routing import StraightLineRouter
from bluelamp.dispatch.rules import AvlRules, Requirement, travel_rules

TYPES = ["IRV", "ARV", "DOG", "FOOT"]
SKILLS = ["AFO", "TASER", "DOG_HANDLER"]
BASES = ["available", "assigned", "en_route", "at_scene", "off_duty", "unavailable"]
GRADES = ["I", "S", "E", "R"]
NOW = 1_800_000_000.0

unit_strategy = st.fixed_dictionaries(
    {
        "type": st.sampled_from(TYPES),
        "base": st.sampled_from(BASES),
        "committed_grade": st.sampled_from(["", *GRADES]),
        "reserved": st.booleans(),
        "crew_ok": st.booleans(),
        "skills_all": st.sets(st.sampled_from(SKILLS)),
        "skills_any": st.sets(st.sampled_from(SKILLS)),
        # Positions on a coarse grid around the incident so that equal ETAs (ties) happen.
        "position": st.none() | st.tuples(st.integers(-20, 20), st.integers(-20, 20)),
        "age": st.floats(0, 600),
    }
)
requirement_strategy = st.builds(
    lambda types, every, anyone, units: Requirement("r", "r", tuple(types), tuple(every), tuple(anyone), units),
    st.lists(st.sampled_from(TYPES), min_size=1, max_size=3, unique=True),
    st.lists(st.sampled_from(SKILLS), max_size=2, unique=True),
    st.lists(st.sampled_from(SKILLS), max_size=1, unique=True),
    st.integers(1, 3),
)
DESTINATION = (530_000.0, 180_000.0)
STEP = 250.0  # metres between grid points


def build(units: list[dict]) -> ForceIndex:  # type: ignore[type-arg]
    index = ForceIndex(force_id=1, capacity=4)  # small, so that growing is exercised too
    rows = [
        UnitRow(i + 1, f"U{(i * 7919) % 1000:03d}-{i}", u["type"], u["base"],
                committed_incident_id=(1000 + i) if u["base"] in {"assigned", "en_route"} else None,
                committed_grade=u["committed_grade"] if u["base"] in {"assigned", "en_route"} else "",
                reserved=u["reserved"])
        for i, u in enumerate(units)
    ]  # fmt: skip
    index.set_units(rows)
    index.set_capabilities(
        {
            i + 1: Capability(u["crew_ok"], frozenset(u["skills_all"]), frozenset(u["skills_all"] | u["skills_any"]))
            for i, u in enumerate(units)
        },
        day=None,  # type: ignore[arg-type]
    )
    located = [(i, u) for i, u in enumerate(units) if u["position"] is not None]
    if located:
        slots = np.array([index.slot(i + 1) for i, _ in located])
        east = np.array([DESTINATION[0] + u["position"][0] * STEP for _, u in located])
        north = np.array([DESTINATION[1] + u["position"][1] * STEP for _, u in located])
        at = np.array([NOW - u["age"] for _, u in located])
        index.move(slots, at, east, north, north / 1e4, east / 1e4)
    return index


def eligible(u: dict, requirement: Requirement, grade: str, preemptible: bool) -> bool:  # type: ignore[type-arg]
    rank = {"I": 4, "S": 3, "E": 2, "R": 1, "": 0}
    free = u["base"] == "available" or (
        preemptible and u["base"] in {"assigned", "en_route"} and 0 < rank[u["committed_grade"]] < rank[grade]
    )
    everyone = set(u["skills_all"])
    anyone = everyone | set(u["skills_any"])
    return (
        u["type"] in requirement.unit_types
        and u["crew_ok"]
        and set(requirement.skills_all) <= everyone
        and set(requirement.skills_any) <= anyone
        and free
        and not u["reserved"]
        and u["position"] is not None
    )


def brute_eta(u: dict, grade: str) -> int:  # type: ignore[type-arg]
    rules = travel_rules()
    distance = math.hypot(u["position"][0] * STEP, u["position"][1] * STEP) * rules.road_factor
    return round(distance / rules.speed_mps(u["type"], grade))


@settings(max_examples=300, deadline=None)
@given(
    units=st.lists(unit_strategy, max_size=60),
    requirement=requirement_strategy,
    grade=st.sampled_from(GRADES),
    preemptible=st.booleans(),
    limit=st.integers(1, 6),
)
def test_the_ranking_is_right_whatever_the_units(
    units: list[dict],  # type: ignore[type-arg]
    requirement: Requirement,
    grade: str,
    preemptible: bool,
    limit: int,
) -> None:
    index = build(units)
    rules = travel_rules()
    speeds = {code: rules.speed_mps(code, grade) for code in rules.speeds_kmh}
    ranked = index.rank(
        destination=DESTINATION, requirement=requirement, grade=grade, now=NOW, speeds_by_type=speeds,
        default_speed=speeds["default"], limit=limit, preemptible=preemptible, router=StraightLineRouter(rules),
        rules=AvlRules(),
    )  # fmt: skip
    by_id = {i + 1: u for i, u in enumerate(units)}
    good = {i + 1 for i, u in enumerate(units) if eligible(u, requirement, grade, preemptible)}
    returned = [c.unit_id for c in ranked.candidates]
    assert set(returned) <= good, "an ineligible unit was offered"
    assert len(returned) == min(limit, len(good))
    assert ranked.eligible == len(good)
    etas = {i: brute_eta(by_id[i], grade) for i in good}
    for candidate in ranked.candidates:
        assert abs(candidate.eta_seconds - etas[candidate.unit_id]) <= 1  # the same ETA, to rounding
        assert candidate.stale == (by_id[candidate.unit_id]["age"] > AvlRules().stale_after_seconds)
    if returned:
        assert ranked.candidates[0].eta_seconds <= min(c.eta_seconds for c in ranked.candidates)
        # Never slower than any eligible unit, including those not returned.
        assert ranked.candidates[0].eta_seconds <= min(etas.values()) + 1
        keys = [(c.eta_seconds, c.call_sign) for c in ranked.candidates]
        assert keys == sorted(keys), "not in ETA then call-sign order"
        # Nobody left out is quicker than the slowest one returned.
        slowest = ranked.candidates[-1].eta_seconds
        left_out = good - set(returned)
        assert all(etas[i] >= slowest - 1 for i in left_out)
    else:
        assert good == set()
