"""The charging formula (PCD 451), as pure arithmetic, tested over many generated cases."""

from __future__ import annotations

import itertools
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bluelamp.business.charging import (
    ForceFigures,
    Shares,
    calculate_contributions,
    formula_for,
    load_formulas,
    weights,
)

PENNY = Decimal("0.01")
SHARES = Shares(fixed=Fraction(1, 5), officers=Fraction(1, 2), population=Fraction(3, 10))


def money(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(min_value=low, max_value=high).map(lambda pence: Decimal(pence) * PENNY)


@st.composite
def shares(draw: st.DrawFn) -> Shares:
    fixed = draw(st.integers(min_value=0, max_value=100))
    officers = draw(st.integers(min_value=0, max_value=100 - fixed))
    return Shares(
        fixed=Fraction(fixed, 100), officers=Fraction(officers, 100), population=Fraction(100 - fixed - officers, 100)
    )


@st.composite
def force(draw: st.DrawFn, code: str) -> ForceFigures:
    floor = draw(st.one_of(st.just(Decimal(0)), money(0, 50_000_000)))
    cap = draw(st.one_of(st.none(), money(0, 300_000_000)))
    if cap is not None and cap < floor:
        cap, floor = floor, cap
    return ForceFigures(
        code=code,
        officers=draw(st.integers(min_value=0, max_value=40_000)),
        population=draw(st.integers(min_value=0, max_value=9_000_000)),
        cap=cap,
        floor=floor,
    )


@st.composite
def platforms(draw: st.DrawFn) -> list[ForceFigures]:
    count = draw(st.integers(min_value=1, max_value=12))
    return [draw(force(f"f{number}")) for number in range(count)]


def feasible(total: Decimal, forces: list[ForceFigures]) -> bool:
    caps_room = None if any(f.cap is None for f in forces) else sum(f.cap for f in forces if f.cap is not None)
    return sum(f.floor for f in forces) <= total and (caps_room is None or caps_room >= total)


@settings(max_examples=300, deadline=None)
@given(total=money(0, 2_000_000_000), forces=platforms(), shares=shares())
def test_contributions_add_up_to_the_cost_within_every_limit(
    total: Decimal, forces: list[ForceFigures], shares: Shares
) -> None:
    result = calculate_contributions(total=total, forces=forces, shares=shares)
    paid = result.by_code()
    if feasible(total, forces):
        assert result.feasible
        assert result.charged == total
        for figures in forces:
            assert figures.floor <= paid[figures.code].amount
            assert figures.cap is None or paid[figures.code].amount <= figures.cap
    else:
        assert not result.feasible
        assert result.note
        for figures in forces:  # a cap is never exceeded, even then
            assert figures.cap is None or paid[figures.code].amount <= figures.cap
        assert result.charged + result.shortfall == total


@settings(max_examples=200, deadline=None)
@given(total=money(0, 2_000_000_000), forces=platforms(), shares=shares())
def test_forces_within_their_limits_pay_in_proportion_to_their_formula_share(
    total: Decimal, forces: list[ForceFigures], shares: Shares
) -> None:
    assume(feasible(total, forces))
    result = calculate_contributions(total=total, forces=forces, shares=shares)
    free = [c for c in result.contributions if not c.limit and c.weight > 0]
    for first, second in itertools.pairwise(free):
        # amount / weight is the same for both, to within the penny each was rounded by
        left = Fraction(first.amount) * second.weight
        right = Fraction(second.amount) * first.weight
        assert abs(left - right) <= Fraction(1, 100) * (first.weight + second.weight)


@settings(max_examples=200, deadline=None)
@given(total=money(100, 2_000_000_000), forces=platforms(), shares=shares(), leaver=st.integers(min_value=0))
def test_a_force_leaving_moves_its_share_to_the_others(
    total: Decimal, forces: list[ForceFigures], shares: Shares, leaver: int
) -> None:
    assume(len(forces) >= 2)
    gone = forces[leaver % len(forces)]
    staying = [f for f in forces if f.code != gone.code]
    assume(feasible(total, forces) and feasible(total, staying))
    before = calculate_contributions(total=total, forces=forces, shares=shares).by_code()
    after = calculate_contributions(total=total, forces=staying, shares=shares).by_code()
    extra = sum(after[f.code].amount - before[f.code].amount for f in staying)
    assert extra == before[gone.code].amount
    if before[gone.code].amount > 0:
        assert any(after[f.code].amount != before[f.code].amount for f in staying)


def test_without_limits_the_formula_is_applied_as_it_stands() -> None:
    forces = [
        ForceFigures("a", officers=3000, population=1_000_000),
        ForceFigures("b", officers=1000, population=3_000_000),
    ]
    result = calculate_contributions(total=Decimal("1000000.00"), forces=forces, shares=SHARES).by_code()
    # a: 0.2/2 + 0.5*3/4 + 0.3*1/4 = 0.55; b: 0.1 + 0.125 + 0.225 = 0.45
    assert result["a"].amount == Decimal("550000.00")
    assert result["b"].amount == Decimal("450000.00")
    assert weights(forces, SHARES) == {"a": Fraction(55, 100), "b": Fraction(45, 100)}


def test_a_cap_passes_the_excess_to_the_other_forces_in_proportion() -> None:
    forces = [
        ForceFigures("met", officers=8000, population=0, cap=Decimal("400000")),
        ForceFigures("b", officers=1000, population=0),
        ForceFigures("c", officers=1000, population=0),
    ]
    shares = Shares(fixed=Fraction(0), officers=Fraction(1), population=Fraction(0))
    result = calculate_contributions(total=Decimal("1000000"), forces=forces, shares=shares).by_code()
    assert result["met"].amount == Decimal("400000.00")
    assert result["met"].limit == "cap"
    assert result["met"].formula_amount == Decimal("800000.00")
    assert result["b"].amount == result["c"].amount == Decimal("300000.00")


def test_a_floor_is_paid_by_the_others_and_may_push_another_force_to_its_cap() -> None:
    forces = [
        ForceFigures("small", officers=0, population=0, floor=Decimal("200000")),
        ForceFigures("big", officers=900, population=0, cap=Decimal("500000")),
        ForceFigures("mid", officers=100, population=0),
    ]
    shares = Shares(fixed=Fraction(0), officers=Fraction(1), population=Fraction(0))
    result = calculate_contributions(total=Decimal("1000000"), forces=forces, shares=shares).by_code()
    assert result["small"].amount == Decimal("200000.00")
    assert result["small"].limit == "floor"
    assert result["big"].amount == Decimal("500000.00")
    assert result["big"].limit == "cap"
    assert result["mid"].amount == Decimal("300000.00")


def test_caps_below_the_cost_leave_a_shortfall_and_are_never_exceeded() -> None:
    forces = [ForceFigures("a", 1, 1, cap=Decimal("100")), ForceFigures("b", 1, 1, cap=Decimal("200"))]
    result = calculate_contributions(total=Decimal("1000"), forces=forces, shares=SHARES)
    assert not result.feasible
    assert result.charged == Decimal("300.00")
    assert result.shortfall == Decimal("700.00")


def test_floors_above_the_cost_are_scaled_down_together() -> None:
    forces = [ForceFigures("a", 1, 1, floor=Decimal("600")), ForceFigures("b", 1, 1, floor=Decimal("900"))]
    result = calculate_contributions(total=Decimal("1000"), forces=forces, shares=SHARES)
    assert not result.feasible
    assert result.by_code()["a"].amount == Decimal("400.00")
    assert result.by_code()["b"].amount == Decimal("600.00")


def test_the_shares_must_add_up_to_one() -> None:
    with pytest.raises(ValueError, match="add up to 1"):
        Shares(fixed=Fraction(1, 2), officers=Fraction(1, 2), population=Fraction(1, 10))


def test_the_formula_in_force_on_1_april_applies_to_the_year() -> None:
    formulas = load_formulas()
    formula = formula_for(2026, formulas)
    assert formula is not None
    assert formula.caps["met"] == Decimal("1400000.00")
    assert formula.base_forces == 20
    assert formula_for(2023, formulas) is None
