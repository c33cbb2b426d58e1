"""The charging model of the shared online platform (PCD 451): how its annual cost is shared
between the forces on it.

Each force's *formula share* is a fixed part (the same for every force) plus parts in
proportion to its officers and its population; the shares come from the formula in force on
the first day of the financial year (``data/charging.json``, effective-dated). Caps and floors
then bound what a force pays: what a cap removes is shared again among the forces not at a
limit, in proportion to their formula shares, and likewise what a floor adds is taken from
them, repeating until nothing changes. The result is the unique allocation in which every
force not at a limit pays the same multiple of its formula share.

When the limits make that impossible:

* the caps add up to less than the cost: every force pays its cap and the rest is reported as
  a **shortfall** (caps are never exceeded; the platform is under-funded until the formula or
  the cost changes);
* the floors add up to more than the cost: floors cannot all be met without collecting more
  than the cost, so every force pays its floor scaled down in the same proportion, and the
  total is the cost.

Amounts are exact fractions until the end and then rounded to pence so that they add up to
the penny (largest remainders get the spare pennies), never crossing a cap or a floor.

Pure functions: no database, so they are tested with Hypothesis.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any, Literal

CHARGING_FILE = Path(__file__).resolve().parent / "data" / "charging.json"
PENNY = Decimal("0.01")

Limit = Literal["", "cap", "floor"]


@dataclass(frozen=True)
class Shares:
    """Parts of the cost shared equally, by officers and by population; they add up to 1."""

    fixed: Fraction
    officers: Fraction
    population: Fraction

    def __post_init__(self) -> None:
        parts = (self.fixed, self.officers, self.population)
        if any(part < 0 for part in parts) or sum(parts) != 1:
            raise ValueError("The fixed, officer and population shares must be at least 0 and add up to 1.")


@dataclass(frozen=True)
class ForceFigures:
    code: str
    officers: int
    population: int
    cap: Decimal | None = None
    floor: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if self.officers < 0 or self.population < 0 or self.floor < 0:
            raise ValueError(f"{self.code}: officers, population and floor cannot be negative.")
        if self.cap is not None and self.cap < self.floor:
            raise ValueError(f"{self.code}: the cap ({self.cap}) is below the floor ({self.floor}).")


@dataclass(frozen=True)
class Contribution:
    code: str
    weight: Fraction  # the force's formula share of the cost (all weights add up to 1)
    formula_amount: Decimal  # what the formula alone would charge, before caps and floors
    amount: Decimal  # what the force pays
    limit: Limit  # "cap" or "floor" when a limit decided the amount


@dataclass(frozen=True)
class ChargingResult:
    total: Decimal
    contributions: list[Contribution]
    feasible: bool
    shortfall: Decimal = Decimal(0)  # cost the caps leave unfunded
    note: str = ""

    @property
    def charged(self) -> Decimal:
        return sum((c.amount for c in self.contributions), Decimal(0))

    def by_code(self) -> dict[str, Contribution]:
        return {c.code: c for c in self.contributions}


def weights(forces: Sequence[ForceFigures], shares: Shares) -> dict[str, Fraction]:
    """Each force's formula share; a part whose total is zero (no officer figures at all, say)
    is shared equally instead."""
    count = len(forces)
    officers = sum(f.officers for f in forces)
    population = sum(f.population for f in forces)
    result = {}
    for force in forces:
        equal = Fraction(1, count)
        by_officers = Fraction(force.officers, officers) if officers else equal
        by_population = Fraction(force.population, population) if population else equal
        result[force.code] = shares.fixed * equal + shares.officers * by_officers + shares.population * by_population
    return result


def _pence(amount: Decimal) -> int:
    return int((amount / PENNY).to_integral_value())


def _fit(
    total: int, weight: dict[str, Fraction], caps: dict[str, int], floors: dict[str, int], limits: dict[str, Limit]
) -> dict[str, Fraction]:
    """Share ``total`` pence in proportion to ``weight`` within caps and floors (feasible case);
    ``limits`` is filled in with the forces a cap or floor settled."""
    settled: dict[str, Fraction] = {}
    while True:
        free = [code for code in weight if code not in settled]
        remaining = total - sum(settled.values())
        free_weight = sum((weight[code] for code in free), Fraction(0))
        if not free:
            return settled
        if free_weight == 0:
            share = {code: Fraction(remaining, len(free)) for code in free}
        else:
            share = {code: remaining * weight[code] / free_weight for code in free}
        over = {code: share[code] - caps[code] for code in free if code in caps and share[code] > caps[code]}
        under = {code: floors[code] - share[code] for code in free if share[code] < floors[code]}
        if not over and not under:
            return {**settled, **share}
        # Settle the side that is further out first; the other side may then come right.
        if sum(over.values()) >= sum(under.values()):
            settled.update({code: Fraction(caps[code]) for code in over})
            limits.update(dict.fromkeys(over, "cap"))
        else:
            settled.update({code: Fraction(floors[code]) for code in under})
            limits.update(dict.fromkeys(under, "floor"))


def _round(exact: dict[str, Fraction], total: int) -> dict[str, int]:
    """Whole pence adding up to ``total`` (the sum of ``exact``), each within a penny of exact."""
    rounded = {code: value.numerator // value.denominator for code, value in exact.items()}
    spare = total - sum(rounded.values())
    by_remainder = sorted(exact, key=lambda code: (-(exact[code] - rounded[code]), code))
    for code in by_remainder[:spare]:
        rounded[code] += 1
    return rounded


def calculate_contributions(*, total: Decimal, forces: Sequence[ForceFigures], shares: Shares) -> ChargingResult:
    """Each force's contribution to a platform cost of ``total`` (pounds, to the penny)."""
    if total < 0:
        raise ValueError("The platform cost cannot be negative.")
    codes = [force.code for force in forces]
    if len(set(codes)) != len(codes):
        raise ValueError("Each force may appear once.")
    if not forces:
        return ChargingResult(
            total=total, contributions=[], feasible=total == 0, shortfall=total, note="No force is charged."
        )
    total_p = _pence(total)
    weight = weights(forces, shares)
    caps = {f.code: _pence(f.cap) for f in forces if f.cap is not None}
    floors = {f.code: _pence(f.floor) for f in forces}
    cap_room = sum(caps.values()) if len(caps) == len(forces) else None
    floor_need = sum(floors.values())
    feasible, shortfall, note = True, 0, ""
    limits: dict[str, Limit] = {}
    if cap_room is not None and cap_room < total_p:
        exact = {code: Fraction(caps[code]) for code in codes}
        limits = dict.fromkeys(codes, "cap")
        feasible, shortfall = False, total_p - cap_room
        note = "Every force is at its cap: the caps add up to less than the cost, and the rest is not charged."
        total_to_share = cap_room
    elif floor_need > total_p:
        exact = {code: Fraction(floors[code] * total_p, floor_need) for code in codes}
        limits = dict.fromkeys(codes, "floor")
        feasible = False
        note = "The floors add up to more than the cost: every floor is scaled down in the same proportion."
        total_to_share = total_p
    else:
        exact = _fit(total_p, weight, caps, floors, limits)
        total_to_share = total_p
    pence = _round(exact, total_to_share)
    contributions = []
    for force in forces:
        amount = pence[force.code]
        contributions.append(
            Contribution(
                code=force.code,
                weight=weight[force.code],
                formula_amount=(Decimal(round(weight[force.code] * total_p)) * PENNY),
                amount=Decimal(amount) * PENNY,
                limit=limits.get(force.code, ""),
            )
        )
    return ChargingResult(
        total=total, contributions=contributions, feasible=feasible, shortfall=Decimal(shortfall) * PENNY, note=note
    )


# Rules as data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Formula:
    effective_from: dt.date
    description: str
    base_forces: int
    shares: Shares
    caps: Mapping[str, Decimal] = field(default_factory=dict)
    floors: Mapping[str, Decimal] = field(default_factory=dict)
    default_floor: Decimal = Decimal(0)

    def figures(self, code: str, *, officers: int, population: int) -> ForceFigures:
        return ForceFigures(
            code=code,
            officers=officers,
            population=population,
            cap=self.caps.get(code),
            floor=self.floors.get(code, self.default_floor),
        )


def _formula(entry: Mapping[str, Any]) -> Formula:
    shares = entry["shares"]
    return Formula(
        effective_from=dt.date.fromisoformat(entry["effective_from"]),
        description=entry.get("description", ""),
        base_forces=int(entry.get("base_forces", 0)),
        shares=Shares(
            fixed=Fraction(shares["fixed"]),
            officers=Fraction(shares["officers"]),
            population=Fraction(shares["population"]),
        ),
        caps={code: Decimal(value) for code, value in entry.get("caps", {}).items()},
        floors={code: Decimal(value) for code, value in entry.get("floors", {}).items()},
        default_floor=Decimal(entry.get("default_floor", "0")),
    )


def load_formulas(path: Path = CHARGING_FILE) -> list[Formula]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return sorted((_formula(entry) for entry in data["formulas"]), key=lambda f: f.effective_from)


@cache
def _default_formulas() -> tuple[Formula, ...]:
    return tuple(load_formulas())


def year_start(financial_year: int) -> dt.date:
    """Police financial years run from 1 April: 2026 means 2026/27."""
    return dt.date(financial_year, 4, 1)


def formula_for(financial_year: int, formulas: Sequence[Formula] | None = None) -> Formula | None:
    """The formula in force on the first day of the financial year."""
    start = year_start(financial_year)
    found = None
    for formula in formulas if formulas is not None else _default_formulas():
        if formula.effective_from <= start:
            found = formula
    return found
