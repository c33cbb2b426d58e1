"""The allocation MILP against an independent brute force on small instances, its rules
(budget, streams, pool, fairness) checked on its answers and the greedy's, and the shadow price
against a case worked by hand."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from bluelamp.core.errors import InvalidInput
from bluelamp.mobility import allocation
from bluelamp.mobility.allocation import CAPITAL, POOL, REVENUE, Line, Problem, Stream


def random_problem(seed: int, *, fairness: float = 0.0) -> Problem:
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    lines = tuple(
        Line(
            key=k,
            unit_id=k % 3 + 1,
            group="AB"[k % 2],
            quantity=rng.randint(1, 3),
            weight=float(rng.randint(1, 30)),
            capital_cost=float(rng.choice((100, 200, 300))),
            running_cost=float(rng.choice((0, 50, 120))),
        )
        for k in range(4)
    )
    streams = (
        Stream(1, "Capital for anyone", CAPITAL, float(rng.randint(100, 700))),
        Stream(2, "Capital for unit 3", CAPITAL, float(rng.randint(0, 600)), frozenset({3})),
        Stream(3, "Revenue for units 1 and 2", REVENUE, float(rng.randint(0, 400)), frozenset({1, 2})),
        Stream(4, "Revenue for anyone", REVENUE, float(rng.randint(0, 300))),
    )
    budget = None if seed % 2 else float(rng.randint(400, 1500))
    return Problem(
        lines,
        streams,
        budget,
        contingency_rate=0.2,
        pool_capital_cost=100,
        pool_running_cost=20,
        min_group_share=fairness,
    )


def fundable(problem: Problem, counts: tuple[int, ...]) -> bool:
    """Written apart from the MILP: the pool is the least that covers the rate, and money can
    be routed to every unit iff (Gale's theorem) each set of units of each kind needs no more
    than the streams that may pay any of them hold — and the whole is within the budget."""
    pool = math.ceil(problem.contingency_rate * sum(counts) - 1e-9)
    need: dict[tuple[int, str], float] = {}
    for line, n in zip(problem.lines, counts, strict=True):
        for kind, cost in ((CAPITAL, line.capital_cost), (REVENUE, line.running_cost)):
            need[(line.unit_id, kind)] = need.get((line.unit_id, kind), 0.0) + n * cost
    need[(POOL, CAPITAL)] = pool * problem.pool_capital_cost
    need[(POOL, REVENUE)] = pool * problem.pool_running_cost
    if sum(need.values()) > problem.total_budget + 1e-6:
        return False
    for kind in (CAPITAL, REVENUE):
        units = [unit for (unit, k), amount in need.items() if k == kind and amount > 0]
        for size in range(1, len(units) + 1):
            for group in itertools.combinations(units, size):
                payers = [s for s in problem.streams if s.kind == kind and any(eligible(s, u) for u in group)]
                if sum(need[(u, kind)] for u in group) > sum(s.amount for s in payers) + 1e-6:
                    return False
    return True


def eligible(stream: Stream, unit: int) -> bool:
    if unit == POOL:
        return stream.unit_ids is None
    return stream.unit_ids is None or unit in stream.unit_ids


def fair(problem: Problem, counts: tuple[int, ...]) -> bool:
    for group in {line.group for line in problem.lines}:
        members = [i for i, line in enumerate(problem.lines) if line.group == group]
        need = sum(problem.lines[i].quantity for i in members)
        if sum(counts[i] for i in members) < math.ceil(problem.min_group_share * need - 1e-9):
            return False
    return True


def brute_force(problem: Problem) -> float | None:
    best = None
    for counts in itertools.product(*(range(line.quantity + 1) for line in problem.lines)):
        if fair(problem, counts) and fundable(problem, counts):
            benefit = sum(line.weight * n for line, n in zip(problem.lines, counts, strict=True))
            best = benefit if best is None else max(best, benefit)
    return best


@pytest.mark.parametrize("seed", range(12))
def test_the_milp_finds_the_brute_force_optimum_and_keeps_every_rule(seed: int) -> None:
    problem = random_problem(seed)
    solved = allocation.solve(problem, gap=0.0)
    assert solved.benefit == pytest.approx(brute_force(problem))
    assert allocation.check_allocation(problem, solved) == []
    assert fundable(problem, tuple(solved.counts[line.key] for line in problem.lines))


def shared_problem(seed: int) -> Problem:
    """Lines that share a unit, costs and group (so one whole-number total per bucket), beside
    lines of another unit and group."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    lines = tuple(
        Line(
            key=k,
            unit_id=1 if k < 4 else 2,
            group="A" if k < 4 else "B",
            quantity=rng.randint(1, 3),
            weight=float(rng.randint(1, 9)),
            capital_cost=150.0 if k < 4 else 250.0,
            running_cost=50.0,
        )
        for k in range(6)
    )
    streams = (
        Stream(1, "Capital for unit 2", CAPITAL, float(rng.randint(0, 800)), frozenset({2})),
        Stream(2, "Capital for anyone", CAPITAL, float(rng.randint(100, 900))),
        Stream(3, "Revenue", REVENUE, float(rng.randint(100, 500))),
    )
    return Problem(lines, streams, contingency_rate=0.1, pool_capital_cost=150, pool_running_cost=50)


@pytest.mark.parametrize("seed", range(8))
def test_lines_alike_in_every_rule_still_reach_the_brute_force_optimum(seed: int) -> None:
    problem = shared_problem(seed)
    solved = allocation.solve(problem, gap=0.0)
    assert solved.benefit == pytest.approx(brute_force(problem))
    assert allocation.check_allocation(problem, solved) == []


@pytest.mark.parametrize("seed", range(12))
def test_the_greedy_baseline_keeps_every_rule_and_never_beats_the_optimum(seed: int) -> None:
    problem = random_problem(seed)
    baseline = allocation.greedy(problem)
    assert allocation.check_allocation(problem, baseline) == []
    assert baseline.benefit <= allocation.solve(problem, gap=0.0).benefit + 1e-6


@pytest.mark.parametrize("seed", [2, 5, 7])
def test_with_a_minimum_share_per_group_the_milp_matches_the_fair_brute_force(seed: int) -> None:
    problem = random_problem(seed, fairness=0.3)
    best = brute_force(problem)
    if best is None:
        with pytest.raises(InvalidInput, match="minimum share"):
            allocation.solve(problem, gap=0.0)
        return
    solved = allocation.solve(problem, gap=0.0)
    assert solved.benefit == pytest.approx(best)
    assert fair(problem, tuple(solved.counts[line.key] for line in problem.lines))


def test_a_ring_fenced_stream_pays_only_its_units() -> None:
    problem = Problem(
        lines=(
            Line(1, unit_id=1, group="A", quantity=10, weight=50, capital_cost=100, running_cost=0),
            Line(2, unit_id=2, group="A", quantity=10, weight=1, capital_cost=100, running_cost=0),
        ),
        streams=(Stream(1, "Only unit 2", CAPITAL, 500, frozenset({2})),),
    )
    solved = allocation.solve(problem)
    # Unit 1's devices are worth far more, but the only money may not buy them.
    assert solved.counts == {1: 0, 2: 5}
    assert set(solved.funding) == {(2, 1)}
    reasons = {s.line.key: s.reason for s in allocation.shortfalls(problem, solved)}
    assert reasons[1] == "No capital stream may pay for this unit."


def test_the_contingency_pool_is_kept_from_the_rate_and_paid_from_open_streams() -> None:
    problem = Problem(
        lines=(Line(1, unit_id=1, group="A", quantity=100, weight=10, capital_cost=100, running_cost=0),),
        streams=(Stream(1, "Open", CAPITAL, 10_000),),
        contingency_rate=0.1,
        pool_capital_cost=100,
    )
    solved = allocation.solve(problem)
    # n + ceil(0.1 n) devices at 100 each within 10,000: n = 90 (90 + 9 = 99 devices).
    assert (solved.counts[1], solved.pool) == (90, 9)
    assert solved.funding[(POOL, 1)] == pytest.approx(900)


def test_the_budget_shadow_price_is_the_benefit_per_pound_of_the_marginal_device() -> None:
    problem = Problem(
        lines=(
            Line(1, unit_id=1, group="A", quantity=100, weight=30, capital_cost=200, running_cost=100),
            Line(2, unit_id=2, group="A", quantity=100, weight=60, capital_cost=200, running_cost=100),
        ),
        streams=(Stream(1, "Capital", CAPITAL, 30_000), Stream(2, "Revenue", REVENUE, 15_000)),
    )
    # Unit 2's 100 devices cost 30,000; the rest buys 50 of unit 1's at 300 each, worth 30:
    # one more pound (spread over both streams) buys 1/300 of a device worth 30 -> 0.1.
    prices = allocation.shadow_prices(problem)
    assert prices.budget == pytest.approx(30 / 300)
    assert allocation.solve(problem).counts == {1: 50, 2: 100}
    assert allocation.solve(problem.scaled(1.1)).benefit == pytest.approx(6000 + 30 * 65)


def test_bad_rates_are_refused_with_what_to_do() -> None:
    problem = Problem(lines=(), streams=(), contingency_rate=1.5)
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        allocation.solve(problem)
