"""Reads of the device register. Everything an actor asks for goes through
``bluelamp.core.access.scoped``: 403 without the permission, another force's devices simply
absent (404). The workforce is read through ``business.selectors`` only."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from bluelamp.business import selectors as workforce
from bluelamp.core.access import Actor, get_scoped, require, scoped
from bluelamp.core.errors import PermissionDenied
from bluelamp.mobility import allocation, factory, lifecycle
from bluelamp.mobility.models import (
    Benefit,
    BuildStation,
    BuildStep,
    Device,
    DeviceCredential,
    DeviceMove,
    FundingStream,
    MdmFinding,
    Requirement,
)

VIEW_DEVICE = "mobility.view_device"
PLAN = "mobility.plan_allocation"
VIEW_BENEFIT = "mobility.view_benefit"
VIEW_FINDING = "mobility.view_mdmfinding"
# Devices still to come out of the factory, in the order they get there.
IN_PRODUCTION = ("ordered", "received", "in_factory", "built", "tested")
# Weight of a unit's priority in the allocation's objective: 1 is the most urgent.
PRIORITY_WEIGHTS = {1: 2.0, 2: 1.5, 3: 1.0, 4: 0.75, 5: 0.5}


def devices(*, actor: Actor, state: str = "", search: str = "", bcu_id: int | None = None) -> QuerySet[Device]:
    found = scoped(Device.objects.all(), actor, permission=VIEW_DEVICE).select_related(
        "model", "sim", "custodian", "cost_unit"
    )
    if state:
        found = found.filter(state=state)
    if bcu_id is not None:
        found = found.filter(bcu_id=bcu_id)
    for term in search.split():
        found = found.filter(
            Q(serial_number__iexact=term)
            | Q(imei=term)
            | Q(sim__iccid=term)
            | Q(sim__phone_number=term)
            | Q(custodian__last_name__icontains=term)
        )
    return found


def device(*, actor: Actor, device_id: int) -> Device:
    return get_scoped(
        Device.objects.select_related("model", "sim", "custodian", "cost_unit"),
        actor,
        permission=VIEW_DEVICE,
        pk=device_id,
    )


def history(*, actor: Actor, device_id: int) -> QuerySet[DeviceMove]:
    return DeviceMove.objects.filter(device=device(actor=actor, device_id=device_id)).select_related("by")


@dataclass(frozen=True)
class StateCount:
    code: str
    name: str
    devices: int


def state_counts(*, actor: Actor) -> list[StateCount]:
    """How many devices are in each lifecycle state, in lifecycle order."""
    counted = dict(
        scoped(Device.objects.all(), actor, permission=VIEW_DEVICE)
        .order_by()
        .values("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    return [StateCount(state.code, state.name, counted.get(state.code, 0)) for state in lifecycle.states().values()]


# The officer app -------------------------------------------------------------------------------


def credential_hash(secret: str) -> str:
    # The secret is 32 random bytes: a fast hash is enough (there is nothing to guess).
    return hashlib.sha256(secret.encode()).hexdigest()


def device_sign_in(credential: str) -> Device:
    """The device a credential belongs to, if it may sign in now; else :class:`PermissionDenied`.
    A device reported lost or stolen, wiped or disposed cannot sign in, whatever it presents."""
    key_id, _, secret = credential.partition(".")
    found = DeviceCredential.objects.select_related("device").filter(key_id=key_id).first()
    refused = PermissionDenied("This device may not sign in. If it has been found, ask the device manager.")
    if found is None or not secrets.compare_digest(found.secret_hash, credential_hash(secret)):
        raise refused
    if found.revoked_at is not None or found.device.state != "issued":
        raise refused
    return found.device


# The factory board --------------------------------------------------------------------------


@dataclass(frozen=True)
class FactoryBoard:
    stations: list[BuildStation]
    capacity_per_day: int
    in_production: list[tuple[str, int]]  # (state's name, devices), in lifecycle order
    forecast: list[factory.UnitForecast]
    throughput: factory.Throughput
    recent_steps: list[BuildStep]

    @property
    def late(self) -> list[factory.UnitForecast]:
        return [unit for unit in self.forecast if unit.late]


def factory_board(
    *, actor: Actor, capacity_per_day: int | None = None, start: dt.date | None = None, days: int = 10
) -> FactoryBoard:
    """The stations, the queue and the forecast; ``capacity_per_day`` asks "what if" instead of
    the stations' own capacity."""
    mine = scoped(Device.objects.all(), actor, permission=VIEW_DEVICE)
    stations = list(scoped(BuildStation.objects.filter(active=True), actor, permission=VIEW_DEVICE))
    capacity = capacity_per_day if capacity_per_day is not None else sum(s.capacity_per_day for s in stations)
    queued = (
        mine.filter(state__in=IN_PRODUCTION)
        .values("cost_unit__name", "priority")
        .annotate(n=Count("pk"))
        .order_by("priority", "cost_unit__name")
    )
    needed_by = _needed_by(actor)
    queue = [
        factory.QueuedWork(
            unit=row["cost_unit__name"] or "Central pool",
            priority=row["priority"],
            devices=row["n"],
            needed_by=needed_by.get(row["cost_unit__name"]),
        )
        for row in queued
    ]
    today = start or timezone.localdate()
    return FactoryBoard(
        stations=stations,
        capacity_per_day=capacity,
        in_production=_in_production(mine),
        forecast=factory.forecast(queue, capacity_per_day=capacity, start=today) if capacity > 0 and queue else [],
        throughput=throughput(actor=actor, since=today - dt.timedelta(days=days), days=days),
        recent_steps=list(
            BuildStep.objects.filter(device__in=mine).select_related("device", "station").order_by("-at")[:20]
        ),
    )


def _in_production(mine: QuerySet[Device]) -> list[tuple[str, int]]:
    waiting = mine.filter(state__in=IN_PRODUCTION).order_by()
    counted = dict(waiting.values("state").annotate(n=Count("pk")).values_list("state", "n"))
    return [(lifecycle.name_of(state), counted.get(state, 0)) for state in IN_PRODUCTION]


def _needed_by(actor: Actor) -> dict[str | None, dt.date]:
    """Each unit's hard date: the earliest of its requirements'."""
    dates: dict[str | None, dt.date] = {}
    rows = scoped(Requirement.objects.exclude(needed_by=None), actor, permission=VIEW_DEVICE)
    for name, day in rows.values_list("unit__name", "needed_by"):
        if day is not None:
            dates[name] = min(day, dates.get(name, day))
    return dates


def throughput(*, actor: Actor, since: dt.date, days: int) -> factory.Throughput:
    steps = BuildStep.objects.filter(
        device__in=scoped(Device.objects.all(), actor, permission=VIEW_DEVICE), passed=True, at__date__gte=since
    )
    kinds = dict(steps.order_by().values("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    return factory.Throughput(days=days, built=kinds.get("build", 0), tested=kinds.get("test", 0))


# Allocation ---------------------------------------------------------------------------------


def allocation_problem(
    *, actor: Actor, contingency_rate: float = 0.05, min_group_share: float = 0.0, budget: float | None = None
) -> tuple[allocation.Problem, dict[int, Requirement]]:
    """The allocation problem of the actor's force: its requirements and funding streams. The
    pool is costed at the cheapest device model's price (spares are mostly phones)."""
    require(actor, PLAN)
    requirements = {
        r.pk: r for r in scoped(Requirement.objects.select_related("model", "unit"), actor, permission=PLAN)
    }
    lines = tuple(
        allocation.Line(
            key=r.pk,
            unit_id=r.unit_id,
            group=r.business_group,
            quantity=r.quantity,
            weight=float(r.benefit_per_device) * PRIORITY_WEIGHTS.get(r.priority, 1.0),
            capital_cost=float(r.model.capital_cost),
            running_cost=float(r.model.running_cost),
        )
        for r in requirements.values()
    )
    streams = tuple(
        allocation.Stream(
            key=s.pk,
            name=s.name,
            kind=s.kind,
            amount=float(s.amount),
            unit_ids=frozenset(u.pk for u in s.units.all()) or None,
        )
        for s in scoped(FundingStream.objects.prefetch_related("units"), actor, permission=PLAN)
    )
    cheapest = min(
        (r.model for r in requirements.values()), key=lambda m: m.capital_cost + m.running_cost, default=None
    )
    problem = allocation.Problem(
        lines=lines,
        streams=streams,
        budget=budget,
        contingency_rate=contingency_rate,
        pool_capital_cost=float(cheapest.capital_cost) if cheapest else 0.0,
        pool_running_cost=float(cheapest.running_cost) if cheapest else 0.0,
        min_group_share=min_group_share,
    )
    return problem, requirements


def requirement_by_role(*, actor: Actor) -> dict[int, Counter[str]]:
    """How many people each unit has in each rank or grade, from the workforce record: the
    starting point of each unit's device requirement."""
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    people = workforce.people(actor=actor).filter(active=True, unit__isnull=False).order_by()
    for unit_id, rank, n in (
        people.values("unit_id", "rank_or_grade").annotate(n=Count("pk")).values_list("unit_id", "rank_or_grade", "n")
    ):
        counts[unit_id][rank] += n
    return counts


# MDM and benefits ------------------------------------------------------------------------------


def mdm_queue(*, actor: Actor, include_resolved: bool = False) -> QuerySet[MdmFinding]:
    found = scoped(MdmFinding.objects.select_related("device"), actor, permission=VIEW_FINDING)
    return found if include_resolved else found.filter(resolved_at=None)


@dataclass(frozen=True)
class GroupBenefits:
    group: str
    benefits: list[Benefit]

    @property
    def on_track(self) -> int:
        return sum(1 for b in self.benefits if progress(b) >= 1)


def progress(benefit: Benefit) -> float:
    """How far from baseline to target the actual has come (1 is the target met)."""
    if benefit.actual is None or benefit.target == benefit.baseline:
        return 0.0
    return float((benefit.actual - benefit.baseline) / (benefit.target - benefit.baseline))


def benefits_by_group(*, actor: Actor) -> list[GroupBenefits]:
    grouped: dict[str, list[Benefit]] = defaultdict(list)
    for benefit in scoped(Benefit.objects.all(), actor, permission=VIEW_BENEFIT):
        grouped[benefit.business_group].append(benefit)
    return [GroupBenefits(group, items) for group, items in sorted(grouped.items())]
