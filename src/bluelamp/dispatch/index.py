"""The in-memory index of a force's units: where each is, what it can do, whether it is free.

One :class:`ForceIndex` per force per process, built from the database on first use (so a
restarted worker, or a second worker, starts from the rows the AVL feed upserted) and kept up
to date by the AVL feed and by the control room's events. Columns are numpy arrays indexed by
a slot per unit, so "the 5 quickest eligible units among 10,000" is a handful of vectorised
operations (masks, one distance formula, one partial sort) rather than a Python loop: see ADR
0007 for why this beat a grid of cells and an R-tree here.

The index is a fast pre-filter, not the authority: the recommender re-reads the few units it
is about to offer from the database (status, commitment, reservation), and assigning a unit
goes through ``control.units.assignments.assign_unit``, which checks everything again."""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from django.utils import timezone

from bluelamp.dispatch.routing import Router, default_router
from bluelamp.dispatch.rules import GRADE_RANK, AvlRules, Requirement, avl_rules

# Base types of unit status, as small integers for the arrays.
AVAILABLE, COMMITTED, AT_SCENE, RETURNING, UNAVAILABLE, OFF_DUTY = range(6)
BASE_CODES = {
    "available": AVAILABLE,
    "assigned": COMMITTED,
    "en_route": COMMITTED,
    "at_scene": AT_SCENE,
    "returning": RETURNING,
    "unavailable": UNAVAILABLE,
    "off_duty": OFF_DUTY,
}
_SIGN_BITS = 20  # call-sign rank packed under the ETA in one int64 sort key (up to ~1M units)


@dataclass
class Candidate:
    unit_id: int
    call_sign: str
    unit_type: str
    eta_seconds: int
    distance_m: float
    lat: float
    lon: float
    at: dt.datetime
    stale: bool
    preemptible: bool
    committed_incident_id: int | None
    committed_grade: str


@dataclass
class Funnel:
    """How many units were left after each test: what explains an empty answer."""

    units: int = 0
    of_type: int = 0
    capable: int = 0
    free: int = 0
    not_reserved: int = 0
    located: int = 0


@dataclass
class Ranked:
    candidates: list[Candidate]
    funnel: Funnel
    eligible: int = 0


@dataclass
class UnitRow:
    unit_id: int
    call_sign: str
    unit_type: str
    base_type: str
    committed_incident_id: int | None = None
    committed_grade: str = ""
    reserved: bool = False


@dataclass
class Capability:
    crew_ok: bool
    skills_all: frozenset[str]
    skills_any: frozenset[str]


GRADE_BY_RANK = {rank: grade for grade, rank in GRADE_RANK.items()}


@dataclass
class ForceIndex:
    force_id: int
    capacity: int = 1024
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.n = 0
        self.slot_of: dict[int, int] = {}
        self.slot_of_sign: dict[str, int] = {}
        self.call_signs: list[str] = []
        self.type_codes: list[str] = []
        self.type_pos: dict[str, int] = {}
        self.skill_bit: dict[str, int] = {}
        cap = self.capacity
        self.unit_ids = np.zeros(cap, np.int64)
        self.type_idx = np.zeros(cap, np.int16)
        self.sign_rank = np.zeros(cap, np.int64)
        self.easting = np.full(cap, np.nan)
        self.northing = np.full(cap, np.nan)
        self.lat = np.full(cap, np.nan)
        self.lon = np.full(cap, np.nan)
        self.at = np.full(cap, np.nan)  # epoch seconds of the latest fix
        self.sampled_at = np.full(cap, -np.inf)  # epoch seconds of the latest history sample
        self.base = np.full(cap, OFF_DUTY, np.int8)
        self.committed_grade = np.zeros(cap, np.int8)
        self.committed_incident = np.zeros(cap, np.int64)
        self.reserved = np.zeros(cap, bool)
        self.crew_ok = np.zeros(cap, bool)
        self.skills_all = np.zeros(cap, np.int64)
        self.skills_any = np.zeros(cap, np.int64)
        self.units_loaded = -math.inf  # time.monotonic() of the last full load of units
        self.capabilities_loaded = -math.inf
        self.capabilities_day: dt.date | None = None

    # Slots -------------------------------------------------------------------------------

    def _grow(self) -> None:
        new = self.capacity * 2
        for name in ("unit_ids", "type_idx", "sign_rank", "base", "committed_grade", "committed_incident"):
            old = getattr(self, name)
            grown = np.zeros(new, old.dtype)
            grown[: self.capacity] = old
            setattr(self, name, grown)
        for name, fill in (("easting", np.nan), ("northing", np.nan), ("lat", np.nan), ("lon", np.nan),
                           ("at", np.nan), ("sampled_at", -np.inf)):  # fmt: skip
            old = getattr(self, name)
            grown = np.full(new, fill)
            grown[: self.capacity] = old
            setattr(self, name, grown)
        for name in ("reserved", "crew_ok"):
            old = getattr(self, name)
            grown = np.zeros(new, bool)
            grown[: self.capacity] = old
            setattr(self, name, grown)
        for name in ("skills_all", "skills_any"):
            old = getattr(self, name)
            grown = np.zeros(new, np.int64)
            grown[: self.capacity] = old
            setattr(self, name, grown)
        self.base[self.capacity :] = OFF_DUTY
        self.capacity = new

    def _type(self, code: str) -> int:
        if code not in self.type_pos:
            self.type_pos[code] = len(self.type_codes)
            self.type_codes.append(code)
        return self.type_pos[code]

    def _bit(self, skill: str) -> int:
        if skill not in self.skill_bit:
            if len(self.skill_bit) >= 63:
                raise ValueError("The dispatch index holds at most 63 distinct skills.")
            self.skill_bit[skill] = 1 << len(self.skill_bit)
        return self.skill_bit[skill]

    def mask_of(self, skills: Iterable[str]) -> int:
        mask = 0
        for skill in skills:
            mask |= self._bit(skill)
        return mask

    def slot(self, unit_id: int) -> int | None:
        return self.slot_of.get(unit_id)

    def slot_for_sign(self, call_sign: str) -> int | None:
        return self.slot_of_sign.get(call_sign.strip().upper())

    def unit_id_at(self, slot: int) -> int:
        return int(self.unit_ids[slot])

    # Loading -----------------------------------------------------------------------------

    def set_units(self, rows: Iterable[UnitRow]) -> None:
        """Units and their status (a full load: units not listed keep their slot but become off
        duty, so slots never move while a batch is being applied)."""
        with self.lock:
            seen = set()
            for row in rows:
                slot = self.slot_of.get(row.unit_id)
                if slot is None:
                    if self.n == self.capacity:
                        self._grow()
                    slot = self.n
                    self.n += 1
                    self.slot_of[row.unit_id] = slot
                    self.call_signs.append(row.call_sign)
                    self.unit_ids[slot] = row.unit_id
                else:
                    self.slot_of_sign.pop(self.call_signs[slot], None)
                    self.call_signs[slot] = row.call_sign
                self.slot_of_sign[row.call_sign] = slot
                self.type_codes_set(slot, row.unit_type)
                self._set_status(slot, row)
                seen.add(slot)
            for slot in set(range(self.n)) - seen:
                self.base[slot] = OFF_DUTY
            self._rank_call_signs()
            self.units_loaded = time.monotonic()

    def type_codes_set(self, slot: int, code: str) -> None:
        self.type_idx[slot] = self._type(code)

    def _set_status(self, slot: int, row: UnitRow) -> None:
        self.base[slot] = BASE_CODES.get(row.base_type, UNAVAILABLE)
        self.committed_incident[slot] = row.committed_incident_id or 0
        self.committed_grade[slot] = GRADE_RANK.get(row.committed_grade or "", 0)
        self.reserved[slot] = row.reserved

    def update_unit(self, row: UnitRow) -> None:
        """One unit's status changed (an event in this process, or a re-check in the database)."""
        with self.lock:
            slot = self.slot_of.get(row.unit_id)
            if slot is None:
                self.set_units_added([row])
                return
            self.type_codes_set(slot, row.unit_type)
            self._set_status(slot, row)

    def set_units_added(self, rows: list[UnitRow]) -> None:
        with self.lock:
            for row in rows:
                if self.n == self.capacity:
                    self._grow()
                slot = self.n
                self.n += 1
                self.slot_of[row.unit_id] = slot
                self.slot_of_sign[row.call_sign] = slot
                self.call_signs.append(row.call_sign)
                self.unit_ids[slot] = row.unit_id
                self.type_codes_set(slot, row.unit_type)
                self._set_status(slot, row)
            self._rank_call_signs()

    def _rank_call_signs(self) -> None:
        order = sorted(range(self.n), key=lambda s: (self.call_signs[s], int(self.unit_ids[s])))
        ranks = np.empty(self.n, np.int64)
        ranks[order] = np.arange(self.n, dtype=np.int64)
        self.sign_rank[: self.n] = ranks

    def set_capabilities(self, capabilities: dict[int, Capability], day: dt.date) -> None:
        with self.lock:
            self.crew_ok[: self.n] = False
            self.skills_all[: self.n] = 0
            self.skills_any[: self.n] = 0
            for unit_id, capability in capabilities.items():
                slot = self.slot_of.get(unit_id)
                if slot is None:
                    continue
                self.crew_ok[slot] = capability.crew_ok
                self.skills_all[slot] = self.mask_of(capability.skills_all)
                self.skills_any[slot] = self.mask_of(capability.skills_any)
            self.capabilities_loaded = time.monotonic()
            self.capabilities_day = day

    def set_capability(self, unit_id: int, capability: Capability) -> None:
        with self.lock:
            slot = self.slot_of.get(unit_id)
            if slot is not None:
                self.crew_ok[slot] = capability.crew_ok
                self.skills_all[slot] = self.mask_of(capability.skills_all)
                self.skills_any[slot] = self.mask_of(capability.skills_any)

    def set_reserved(self, unit_ids: set[int]) -> None:
        with self.lock:
            self.reserved[: self.n] = False
            for unit_id in unit_ids:
                slot = self.slot_of.get(unit_id)
                if slot is not None:
                    self.reserved[slot] = True

    # Positions ---------------------------------------------------------------------------

    def move(
        self,
        slots: np.ndarray,
        at: np.ndarray,
        eastings: np.ndarray,
        northings: np.ndarray,
        lats: np.ndarray,
        lons: np.ndarray,
        sampled: np.ndarray | None = None,
    ) -> None:
        """Set the latest position of units (one entry per slot, each newer than what is held)."""
        with self.lock:
            self.at[slots] = at
            self.easting[slots] = eastings
            self.northing[slots] = northings
            self.lat[slots] = lats
            self.lon[slots] = lons
            if sampled is not None:
                self.sampled_at[slots] = sampled

    def forget_positions(self) -> None:
        with self.lock:
            for name in ("easting", "northing", "lat", "lon", "at"):
                getattr(self, name)[:] = np.nan
            self.sampled_at[:] = -np.inf

    # Ranking -----------------------------------------------------------------------------

    def rank(
        self,
        *,
        destination: tuple[float, float],
        requirement: Requirement,
        grade: str,
        now: float,
        speeds_by_type: dict[str, float],
        default_speed: float,
        limit: int = 5,
        preemptible: bool = False,
        exclude: Iterable[int] = (),
        router: Router | None = None,
        shortlist: int = 20,
        rules: AvlRules | None = None,
    ) -> Ranked:
        """The ``limit`` eligible units quickest to reach ``destination`` (BNG metres), in order
        of ETA in whole seconds, ties in call-sign order; and the funnel of counts."""
        rules = rules or avl_rules()
        router = router or default_router()
        with self.lock:
            n = self.n
            funnel = Funnel(units=n)
            wanted_types = [self.type_pos[c] for c in requirement.unit_types if c in self.type_pos]
            mask = np.isin(self.type_idx[:n], wanted_types)
            funnel.of_type = int(mask.sum())
            need_all = self.mask_of(requirement.skills_all)
            need_any_bits = [self.mask_of([s]) for s in requirement.skills_any]
            mask &= self.crew_ok[:n]
            if need_all:
                mask &= (self.skills_all[:n] & need_all) == need_all
            for bit in need_any_bits:
                mask &= (self.skills_any[:n] & bit) != 0
            funnel.capable = int(mask.sum())
            base = self.base[:n]
            free = base == AVAILABLE
            rank = GRADE_RANK.get(grade, 0)
            pre = np.zeros(n, bool)
            if preemptible and rank:
                committed = self.committed_grade[:n]
                pre = (base == COMMITTED) & (committed > 0) & (committed < rank)
            mask &= free | pre
            funnel.free = int(mask.sum())
            mask &= ~self.reserved[:n]
            funnel.not_reserved = int(mask.sum())
            at = self.at[:n]
            mask &= ~np.isnan(at)
            for unit_id in exclude:
                slot = self.slot_of.get(unit_id)
                if slot is not None:
                    mask[slot] = False
            funnel.located = int(mask.sum())
            slots = np.flatnonzero(mask)
            if not len(slots):
                return Ranked([], funnel, 0)
            speed_table = np.array([speeds_by_type.get(code, default_speed) for code in self.type_codes])
            speeds = speed_table[self.type_idx[slots]]
            eastings, northings = self.easting[slots], self.northing[slots]
            if not router.all_candidates and len(slots) > shortlist:
                straight = np.hypot(eastings - destination[0], northings - destination[1]) / speeds
                keep = np.argpartition(straight, shortlist - 1)[:shortlist]
                slots, speeds, eastings, northings = slots[keep], speeds[keep], eastings[keep], northings[keep]
            distances, seconds = router.travel(
                eastings=eastings, northings=northings, destination=destination, speeds_mps=speeds, grade=grade
            )
            etas = np.rint(seconds).astype(np.int64)
            keys = (etas << _SIGN_BITS) | self.sign_rank[slots]
            top = np.argpartition(keys, limit - 1)[:limit] if len(keys) > limit else np.arange(len(keys))
            top = top[np.argsort(keys[top], kind="stable")]
            stale_before = now - rules.stale_after_seconds
            found = []
            for i in top:
                slot = int(slots[i])
                committed_rank = int(self.committed_grade[slot])
                found.append(
                    Candidate(
                        unit_id=int(self.unit_ids[slot]),
                        call_sign=self.call_signs[slot],
                        unit_type=self.type_codes[self.type_idx[slot]],
                        eta_seconds=int(etas[i]),
                        distance_m=float(distances[i]),
                        lat=float(self.lat[slot]),
                        lon=float(self.lon[slot]),
                        at=dt.datetime.fromtimestamp(float(self.at[slot]), tz=dt.UTC),
                        stale=bool(self.at[slot] < stale_before),
                        preemptible=bool(self.base[slot] == COMMITTED),
                        committed_incident_id=int(self.committed_incident[slot]) or None,
                        committed_grade=GRADE_BY_RANK.get(committed_rank, ""),
                    )
                )
            return Ranked(found, funnel, len(slots))

    # Reads -------------------------------------------------------------------------------

    def latest(self, *, now: float, rules: AvlRules | None = None) -> list[tuple[int, str, float, float, str, bool]]:
        """(unit_id, call_sign, lat, lon, at iso, stale) for every unit with a position."""
        rules = rules or avl_rules()
        stale_before = now - rules.stale_after_seconds
        with self.lock:
            slots = np.flatnonzero(~np.isnan(self.at[: self.n]))
            return [
                (
                    int(self.unit_ids[s]),
                    self.call_signs[s],
                    float(self.lat[s]),
                    float(self.lon[s]),
                    dt.datetime.fromtimestamp(float(self.at[s]), tz=dt.UTC).isoformat(),
                    bool(self.at[s] < stale_before),
                )
                for s in slots
            ]


def epoch(value: dt.datetime) -> float:
    return value.timestamp()


def now_epoch() -> float:
    return timezone.now().timestamp()
