"""Allocating devices to units under a fixed budget (ADR 0020): a mixed-integer programme solved
by SciPy's HiGHS, a greedy baseline to compare it with, and the figures a board asks for —
who misses out and why, the shadow price of the money, and the answer at -10% / +10%.

Plain data in, plain data out: no database here (``selectors.allocation_problem`` builds the
problem from the register).

The model, for requirement lines ``l`` (a unit's need for one device model) and streams ``s``:

* ``n_l`` devices for line ``l`` (integer, at most its quantity); ``pool`` contingency
  devices (integer, at least ``contingency_rate x Σ n``);
* ``y_us`` pounds stream ``s`` pays unit ``u`` (only where the stream may pay for the unit);
  a unit's capital cost is paid by capital streams and its running cost by revenue streams;
  the pool is a central unit that only streams open to every unit may pay for;
* each stream pays at most its amount; everything together at most the budget;
* optionally, each business group gets at least ``min_group_share`` of its requirement;
* maximise ``Σ weight_l x n_l`` (benefit per device x the priority's weight).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import coo_array

from bluelamp.core.errors import InvalidInput

CAPITAL, REVENUE = "capital", "revenue"
POOL = -1  # the contingency pool's unit id in funding answers
# A stream's total and the budget are met to within this many pounds (the solver works in
# floating point; a penny's tolerance on millions is below any budget's precision).
MONEY_TOLERANCE = 0.01
# The solver works in thousands of pounds: budgets in millions and device costs in hundreds
# then sit in the range its numerics are made for.
SCALE = 1000.0


@dataclass(frozen=True)
class Line:
    """One unit's need: ``quantity`` devices, each worth ``weight`` and costing so much."""

    key: int
    unit_id: int
    group: str
    quantity: int
    weight: float
    capital_cost: float
    running_cost: float


@dataclass(frozen=True)
class Stream:
    key: int
    name: str
    kind: str  # CAPITAL or REVENUE
    amount: float
    unit_ids: frozenset[int] | None = None  # None: it may pay for any unit (and the pool)

    def may_pay_for(self, unit_id: int) -> bool:
        return self.unit_ids is None if unit_id == POOL else self.unit_ids is None or unit_id in self.unit_ids


@dataclass(frozen=True)
class Problem:
    lines: tuple[Line, ...]
    streams: tuple[Stream, ...]
    budget: float | None = None  # None: the streams' total
    contingency_rate: float = 0.0  # spare devices per device issued (breakage + replacement + starters)
    pool_capital_cost: float = 0.0
    pool_running_cost: float = 0.0
    min_group_share: float = 0.0  # 0 turns the fairness constraint off

    @property
    def total_budget(self) -> float:
        return self.budget if self.budget is not None else sum(s.amount for s in self.streams)

    def scaled(self, factor: float) -> Problem:
        """The same problem with every stream and the budget scaled (the -10% / +10% what-if)."""
        return replace(
            self,
            streams=tuple(replace(s, amount=s.amount * factor) for s in self.streams),
            budget=None if self.budget is None else self.budget * factor,
        )


@dataclass
class Allocation:
    counts: dict[int, int]  # line key -> devices
    pool: int
    funding: dict[tuple[int, int], float]  # (unit id or POOL, stream key) -> pounds
    benefit: float
    spend: float
    status: str
    gap: float = 0.0
    seconds: float = 0.0
    method: str = "milp"

    @property
    def devices(self) -> int:
        return sum(self.counts.values()) + self.pool

    def spent_from(self, stream_key: int) -> float:
        return sum(amount for (_, key), amount in self.funding.items() if key == stream_key)


def check_problem(problem: Problem) -> None:
    if not 0 <= problem.contingency_rate < 1:
        raise InvalidInput("The contingency rate is a share of the devices issued: between 0 and 1.")
    if not 0 <= problem.min_group_share <= 1:
        raise InvalidInput("The minimum share per business group is between 0 and 1 (e.g. 0.5 for half).")
    for stream in problem.streams:
        if stream.kind not in (CAPITAL, REVENUE) or stream.amount < 0:
            raise InvalidInput(f"Stream {stream.name}: kind is capital or revenue, and the amount is not negative.")


# The MILP ----------------------------------------------------------------------------------


@dataclass
class _Model:
    """The problem as matrices: variables are ``n`` (one per line), ``pool``, the buckets'
    totals, then ``y``."""

    objective: np.ndarray
    integrality: np.ndarray
    upper: np.ndarray
    classes: list[list[int]]  # the units of each funding class (POOL alone in its own)
    pairs: list[tuple[int, int]]  # y variables: (funding class, stream index)
    buckets: list[list[int]]  # lines that share every constraint, best weight first
    rows: list[tuple[dict[int, float], float, float]] = field(default_factory=list)  # (coefficients, lo, hi)
    budget_row: int = -1
    stream_rows: list[int] = field(default_factory=list)

    def matrix(self, rows: Iterable[int]) -> tuple[coo_array, np.ndarray, np.ndarray]:
        picked = [self.rows[i] for i in rows]
        data, row_index, col_index = [], [], []
        for r, (coefficients, _, _) in enumerate(picked):
            for column, value in coefficients.items():
                row_index.append(r)
                col_index.append(column)
                data.append(value)
        shape = (len(picked), len(self.objective))
        a = coo_array((data, (row_index, col_index)), shape=shape)
        return a, np.array([lo for _, lo, _ in picked]), np.array([hi for _, _, hi in picked])


def funding_classes(problem: Problem) -> list[list[int]]:
    """Units grouped by the streams that may pay for them. Money can be routed to the units of
    one class exactly when it can be routed to the class as a whole (every stream that pays one
    may pay them all), so the model needs one funding variable per class and stream, not per
    unit and stream: a few dozen instead of thousands."""
    by_streams: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for unit in sorted({line.unit_id for line in problem.lines}):
        payers = tuple(s for s, stream in enumerate(problem.streams) if stream.may_pay_for(unit))
        by_streams[payers].append(unit)
    return [*by_streams.values(), [POOL]]


def buckets(problem: Problem, classes: list[list[int]]) -> list[list[int]]:
    """Lines (by index) that appear in every constraint alike: same funding class, costs and
    business group. Within one, a better weight is always filled first (moving a device to it
    from a worse one keeps every rule and gains), so only each bucket's total must be a whole
    number: a few dozen integers instead of one per line, and the same optimum."""
    class_of = {unit: c for c, units in enumerate(classes) for unit in units}
    grouped: dict[tuple[int, float, float, str], list[int]] = defaultdict(list)
    for index, line in enumerate(problem.lines):
        grouped[(class_of[line.unit_id], line.capital_cost, line.running_cost, line.group)].append(index)
    return [sorted(members, key=lambda i: -problem.lines[i].weight) for members in grouped.values()]


def _build(problem: Problem) -> _Model:
    lines, streams = problem.lines, problem.streams
    pool = len(lines)
    classes = funding_classes(problem)
    pairs = [
        (c, s) for c, units in enumerate(classes) for s, stream in enumerate(streams) if stream.may_pay_for(units[0])
    ]
    same = buckets(problem, classes)
    first_bucket = pool + 1
    first_y = first_bucket + len(same)
    size = first_y + len(pairs)
    model = _Model(
        objective=np.zeros(size),
        integrality=np.concatenate([np.zeros(pool), np.ones(1 + len(same)), np.zeros(len(pairs))]),
        upper=np.concatenate([[line.quantity for line in lines], np.full(1 + len(same) + len(pairs), np.inf)]),
        classes=classes,
        pairs=pairs,
        buckets=same,
    )
    for b, members in enumerate(same):
        model.rows.append(({first_bucket + b: 1.0, **dict.fromkeys(members, -1.0)}, 0.0, 0.0))
    model.objective[:pool] = [-line.weight for line in lines]  # milp minimises
    # A pool bigger than the rate asks for is money not spent on units: the least one wins ties.
    model.objective[pool] = 1e-4 * min((line.weight for line in lines if line.weight > 0), default=1.0)
    class_of = {unit: c for c, units in enumerate(classes) for unit in units}
    # Each class's capital and running costs are paid, to the penny, by streams of that kind.
    for kind in (CAPITAL, REVENUE):
        for c in range(len(classes)):
            row: dict[int, float] = {}
            for column, (pair_class, s) in enumerate(pairs, start=first_y):
                if pair_class == c and streams[s].kind == kind:
                    row[column] = 1.0
            model.rows.append((row, 0.0, 0.0))
        for index, line in enumerate(lines):
            model.rows[-len(classes) + class_of[line.unit_id]][0][index] = -_cost(line, kind) / SCALE
        pool_cost = problem.pool_capital_cost if kind == CAPITAL else problem.pool_running_cost
        model.rows[-1][0][pool] = -pool_cost / SCALE
    for s, stream in enumerate(streams):
        model.stream_rows.append(len(model.rows))
        row = {column: 1.0 for column, (_, k) in enumerate(pairs, start=first_y) if k == s}
        model.rows.append((row, -np.inf, stream.amount / SCALE))
    model.budget_row = len(model.rows)
    model.rows.append((dict.fromkeys(range(first_y, size), 1.0), -np.inf, problem.total_budget / SCALE))
    if problem.contingency_rate > 0:
        model.rows.append(({pool: 1.0, **dict.fromkeys(range(pool), -problem.contingency_rate)}, 0.0, np.inf))
    if problem.min_group_share > 0:
        groups: dict[str, list[int]] = defaultdict(list)
        for index, line in enumerate(lines):
            groups[line.group].append(index)
        for members in groups.values():
            need = problem.min_group_share * sum(lines[i].quantity for i in members)
            model.rows.append((dict.fromkeys(members, 1.0), math.ceil(need - 1e-9), np.inf))
    return model


def _cost(line: Line, kind: str) -> float:
    return line.capital_cost if kind == CAPITAL else line.running_cost


def solve(problem: Problem, *, time_limit: float = 60.0, gap: float = 1e-4) -> Allocation:
    """The allocation that maximises the weighted benefit, proven optimal to within ``gap``."""
    check_problem(problem)
    model = _build(problem)
    a, lo, hi = model.matrix(range(len(model.rows)))
    started = time.perf_counter()
    result = milp(
        model.objective,
        constraints=LinearConstraint(a.tocsr(), lo, hi),
        integrality=model.integrality,
        bounds=Bounds(np.zeros(len(model.objective)), model.upper),
        options={"time_limit": time_limit, "mip_rel_gap": gap, "presolve": True},
    )
    seconds = time.perf_counter() - started
    if result.x is None:
        raise InvalidInput(
            "No allocation satisfies these rules: "
            + (
                "the minimum share per business group costs more than the budget; lower it."
                if problem.min_group_share > 0
                else str(result.message)
            )
        )
    return _answer(problem, model, result.x, status=result.message, gap=float(result.mip_gap or 0.0), seconds=seconds)


def _answer(problem: Problem, model: _Model, x: np.ndarray, *, status: str, gap: float, seconds: float) -> Allocation:
    pool_index = len(problem.lines)
    counts = {}
    for b, members in enumerate(model.buckets):
        left = round(x[pool_index + 1 + b])  # each bucket's whole total, filled best weight first
        for i in members:
            counts[problem.lines[i].key] = given = min(left, problem.lines[i].quantity)
            left -= given
    pool = round(x[pool_index])
    # What each unit owes of each kind; a class's money is shared among its units in proportion.
    owed: dict[tuple[int, str], float] = defaultdict(float)
    for line in problem.lines:
        for kind in (CAPITAL, REVENUE):
            owed[(line.unit_id, kind)] += counts[line.key] * _cost(line, kind)
    owed[(POOL, CAPITAL)] = pool * problem.pool_capital_cost
    owed[(POOL, REVENUE)] = pool * problem.pool_running_cost
    funding: dict[tuple[int, int], float] = defaultdict(float)
    for column, (c, s) in enumerate(model.pairs, start=pool_index + 1 + len(model.buckets)):
        stream = problem.streams[s]
        units = model.classes[c]
        class_owes = sum(owed[(unit, stream.kind)] for unit in units)
        paid = float(x[column]) * SCALE
        if paid <= MONEY_TOLERANCE or class_owes <= 0:
            continue
        for unit in units:
            share = paid * owed[(unit, stream.kind)] / class_owes
            if share > MONEY_TOLERANCE:
                funding[(unit, stream.key)] += share
    benefit = sum(line.weight * counts[line.key] for line in problem.lines)
    return Allocation(counts, pool, dict(funding), benefit, sum(funding.values()), str(status), gap, seconds)


# Shadow prices (from the LP relaxation) ---------------------------------------------------------


@dataclass(frozen=True)
class ShadowPrices:
    """Benefit gained per extra pound: of each stream, and of the budget as a whole (every
    stream and the budget growing together, pro rata). Duals of the LP relaxation: for the
    integer answer they are the marginal rate, not a promise; the ±10% re-solves are exact."""

    per_stream: dict[int, float]
    budget: float


def shadow_prices(problem: Problem) -> ShadowPrices:
    model = _build(problem)
    eq = [i for i, (_, lo, hi) in enumerate(model.rows) if lo == hi]
    ub = [i for i, (_, lo, hi) in enumerate(model.rows) if lo != hi and np.isfinite(hi)]
    lb = [i for i, (_, lo, hi) in enumerate(model.rows) if lo != hi and not np.isfinite(hi)]
    a_eq, b_eq, _ = model.matrix(eq)
    a_hi, _, b_hi = model.matrix(ub)
    a_lo, b_lo, _ = model.matrix(lb)
    from scipy.sparse import vstack

    result = linprog(
        model.objective,
        A_ub=vstack([a_hi, -a_lo]).tocsr(),
        b_ub=np.concatenate([b_hi, -b_lo]),
        A_eq=a_eq.tocsr(),
        b_eq=b_eq,
        bounds=list(zip(np.zeros(len(model.objective)), model.upper, strict=True)),
        method="highs",
    )
    if result.status != 0:
        raise InvalidInput(f"The relaxed allocation could not be solved: {result.message}")
    # Marginals are d(objective)/d(b); the objective is minus the benefit.
    # Per thousand pounds as solved; per pound as answered.
    marginal = {row: -float(result.ineqlin.marginals[position]) / SCALE for position, row in enumerate(ub)}
    per_stream = {stream.key: marginal[row] for stream, row in zip(problem.streams, model.stream_rows, strict=True)}
    total = problem.total_budget
    pro_rata = sum(per_stream[s.key] * s.amount for s in problem.streams) + marginal[model.budget_row] * total
    return ShadowPrices(per_stream=per_stream, budget=pro_rata / total if total else 0.0)


# The greedy baseline ---------------------------------------------------------------------------


def greedy(problem: Problem) -> Allocation:
    """Fund lines in order of benefit per pound, each as far as its streams allow, keeping the
    contingency pool funded as it grows: what a spreadsheet would do."""
    check_problem(problem)
    started = time.perf_counter()
    left = {s.key: s.amount for s in problem.streams}
    budget_left = problem.total_budget
    funding: dict[tuple[int, int], float] = defaultdict(float)
    counts = {line.key: 0 for line in problem.lines}
    issued = pool = 0

    def per_pound(line: Line) -> float:
        cost = line.capital_cost + line.running_cost
        return line.weight / cost if cost else math.inf

    for line in sorted(problem.lines, key=per_pound, reverse=True):
        low, high = 0, line.quantity  # the most devices this line can be given, by bisection
        while low < high:
            middle = (low + high + 1) // 2
            if _fill(problem, line, middle, issued, pool, dict(left), budget_left) is not None:
                low = middle
            else:
                high = middle - 1
        if low:
            plan = _fill(problem, line, low, issued, pool, left, budget_left)
            assert plan is not None
            for key_pair, amount in plan.items():
                funding[key_pair] += amount
                budget_left -= amount
            counts[line.key], issued = low, issued + low
            pool = math.ceil(problem.contingency_rate * issued - 1e-9)
    benefit = sum(line.weight * counts[line.key] for line in problem.lines)
    seconds = time.perf_counter() - started
    return Allocation(counts, pool, dict(funding), benefit, sum(funding.values()), "greedy", 0.0, seconds, "greedy")


def _fill(
    problem: Problem, line: Line, n: int, issued: int, pool: int, left: dict[int, float], budget_left: float
) -> dict[tuple[int, int], float] | None:
    """Pay for ``n`` devices of ``line`` and the pool they add from ``left`` (changed in place),
    streams only for this unit first; None if the money is not there."""
    extra_pool = math.ceil(problem.contingency_rate * (issued + n) - 1e-9) - pool
    bills = [
        (line.unit_id, CAPITAL, n * line.capital_cost),
        (line.unit_id, REVENUE, n * line.running_cost),
        (POOL, CAPITAL, extra_pool * problem.pool_capital_cost),
        (POOL, REVENUE, extra_pool * problem.pool_running_cost),
    ]
    if sum(amount for *_, amount in bills) > budget_left + MONEY_TOLERANCE:
        return None
    plan: dict[tuple[int, int], float] = defaultdict(float)
    for unit, kind, amount in bills:
        payers = [s for s in problem.streams if s.kind == kind and s.may_pay_for(unit)]
        payers.sort(key=lambda s: s.unit_ids is None)  # ring-fenced money first
        for stream in payers:
            share = min(amount, left[stream.key])
            if share > 0:
                plan[(unit, stream.key)] += share
                left[stream.key] -= share
                amount -= share
        if amount > MONEY_TOLERANCE:
            return None
    return plan


# Who misses out, and why ---------------------------------------------------------------------


@dataclass(frozen=True)
class Shortfall:
    line: Line
    allocated: int
    reason: str

    @property
    def missing(self) -> int:
        return self.line.quantity - self.allocated


def shortfalls(problem: Problem, allocation: Allocation, stream_names: dict[int, str] | None = None) -> list[Shortfall]:
    """Each line that gets fewer devices than it needs, with the reason in plain words."""
    names = stream_names or {s.key: s.name for s in problem.streams}
    spent_out = {s.key for s in problem.streams if allocation.spent_from(s.key) >= s.amount - 1.0}
    funded = [line for line in problem.lines if allocation.counts[line.key]]
    cut_off = min((_per_pound(line) for line in funded), default=math.inf)
    found = []
    for line in problem.lines:
        allocated = allocation.counts[line.key]
        if allocated >= line.quantity:
            continue
        found.append(Shortfall(line, allocated, _reason(problem, line, spent_out, names, cut_off)))
    return found


def _per_pound(line: Line) -> float:
    cost = line.capital_cost + line.running_cost
    return line.weight / cost if cost else math.inf


def _reason(problem: Problem, line: Line, spent_out: set[int], names: dict[int, str], cut_off: float) -> str:
    for kind, cost in ((CAPITAL, line.capital_cost), (REVENUE, line.running_cost)):
        payers = [s for s in problem.streams if s.kind == kind and s.may_pay_for(line.unit_id)]
        if cost > 0 and not payers:
            return f"No {kind} stream may pay for this unit."
        if cost > 0 and all(s.key in spent_out for s in payers):
            return f"Its {kind} streams are spent: " + ", ".join(names[s.key] for s in payers) + "."
    if _per_pound(line) < cut_off:
        return "Less benefit per pound than every unit funded: the budget ran out first."
    return "Partly funded: the budget ran out part-way through its need."


@dataclass(frozen=True)
class Comparison:
    """The board's view: the allocation, the greedy baseline, the money's shadow price and the
    answers at -10% and +10%."""

    allocation: Allocation
    baseline: Allocation
    prices: ShadowPrices
    lower: Allocation
    higher: Allocation
    missing: list[Shortfall]


def compare(problem: Problem, *, time_limit: float = 60.0) -> Comparison:
    best = solve(problem, time_limit=time_limit)
    return Comparison(
        allocation=best,
        baseline=greedy(problem),
        prices=shadow_prices(problem),
        lower=solve(problem.scaled(0.9), time_limit=time_limit),
        higher=solve(problem.scaled(1.1), time_limit=time_limit),
        missing=shortfalls(problem, best),
    )


def check_allocation(problem: Problem, allocation: Allocation) -> list[str]:
    """Every rule the allocation breaks (empty: none). Used by the tests and the benchmark on
    both the MILP's and the greedy answer."""
    broken = []
    streams = {s.key: s for s in problem.streams}
    owed: dict[tuple[int, str], float] = defaultdict(float)
    for line in problem.lines:
        n = allocation.counts[line.key]
        if not 0 <= n <= line.quantity:
            broken.append(f"line {line.key}: {n} devices of {line.quantity}")
        owed[(line.unit_id, CAPITAL)] += n * line.capital_cost
        owed[(line.unit_id, REVENUE)] += n * line.running_cost
    owed[(POOL, CAPITAL)] += allocation.pool * problem.pool_capital_cost
    owed[(POOL, REVENUE)] += allocation.pool * problem.pool_running_cost
    paid: dict[tuple[int, str], float] = defaultdict(float)
    for (unit, key), amount in allocation.funding.items():
        if not streams[key].may_pay_for(unit):
            broken.append(f"stream {streams[key].name} pays unit {unit}, which it may not")
        paid[(unit, streams[key].kind)] += amount
    for key_pair in set(owed) | set(paid):
        if abs(owed[key_pair] - paid[key_pair]) > MONEY_TOLERANCE * max(1, len(problem.lines)):
            broken.append(f"unit {key_pair[0]} {key_pair[1]}: owes {owed[key_pair]:.2f}, paid {paid[key_pair]:.2f}")
    for stream in problem.streams:
        if allocation.spent_from(stream.key) > stream.amount + MONEY_TOLERANCE * len(problem.lines):
            broken.append(f"stream {stream.name} overspent")
    if allocation.spend > problem.total_budget + MONEY_TOLERANCE * len(problem.lines):
        broken.append("budget overspent")
    issued = sum(allocation.counts.values())
    if allocation.pool < math.ceil(problem.contingency_rate * issued - 1e-6):
        broken.append(f"pool of {allocation.pool} is below {problem.contingency_rate:.0%} of {issued}")
    return broken


def group_totals(problem: Problem, allocation: Allocation) -> dict[str, tuple[int, int]]:
    """Per business group: (devices allocated, devices needed)."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for line in problem.lines:
        totals[line.group][0] += allocation.counts[line.key]
        totals[line.group][1] += line.quantity
    return {group: (got, need) for group, (got, need) in sorted(totals.items())}
