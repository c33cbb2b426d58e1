"""A Met-sized device register for the demo: about 30,000 devices across the BCUs and central
units in realistic states, a factory part-way through a roll-out, requirements and funding
streams for the allocation screen, and the business case's benefits.

Demo data only. Written with bulk_create so that ``make demo`` starts quickly,
with one audit entry and one event for the whole load, as an import would have."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from bluelamp.business import selectors as workforce
from bluelamp.core import audit
from bluelamp.core.events import emit
from bluelamp.core.models import Force, User
from bluelamp.mobility import factory
from bluelamp.mobility.models import (
    Benefit,
    BuildStation,
    BuildStep,
    Device,
    DeviceModel,
    FundingStream,
    Requirement,
    Sim,
)

logger = logging.getLogger(__name__)

DEVICES = 30_000
# (name, kind, capital, running cost over the funding period, share of the register)
MODELS = (
    ("Samsung Galaxy XCover (rugged phone)", "phone", "420.00", "360.00", 0.78),
    ("iPad 10.9in (tablet)", "tablet", "480.00", "240.00", 0.12),
    ("Dell Latitude 5450 (laptop)", "laptop", "780.00", "300.00", 0.10),
)
# Share of devices in each state: most are issued; a roll-out is still coming through the factory.
STATES = (
    ("issued", 0.74),
    ("ready", 0.04),
    ("in_repair", 0.02),
    ("lost", 0.003),
    ("stolen", 0.002),
    ("wiped", 0.004),
    ("disposed", 0.011),
    ("ordered", 0.06),
    ("received", 0.05),
    ("in_factory", 0.03),
    ("built", 0.02),
    ("tested", 0.02),
)
STATIONS = (("Bench A (Lambeth)", 90), ("Bench B (Lambeth)", 90), ("Bench C (Empress State)", 70), ("Test rig", 60))
STREAMS = (
    ("Smarter Working capital", "capital", "600000.00", ()),
    ("Frontline BCU capital", "capital", "150000.00", ("CW-RESP", "CW-RESP-A", "CW-RESP-B")),
    ("Technology revenue", "revenue", "450000.00", ()),
    ("Specialist operations revenue", "revenue", "40000.00", ("ARV",)),
)
BENEFITS = (
    ("An hour a shift less at the station", "Frontline Policing", "Hours at a station per shift", "2.6", "1.6", "2.1"),
    ("5% more time on visible patrol", "Frontline Policing", "Share of a shift on patrol (%)", "38.0", "43.0", "40.5"),
    (
        "Statements taken on the device",
        "Frontline Policing",
        "Share of statements taken digitally (%)",
        "5",
        "60",
        "41",
    ),
    ("Assignment to at scene", "Met Operations", "Median minutes, I-graded", "13.5", "12.0", "12.9"),
    ("Desks released", "Met Business Services", "Desks per 100 staff", "85", "60", "71"),
    ("Searches from the street", "Specialist Operations", "PNC checks done on the device (%)", "10", "80", None),
)


def seed_demo_register(*, actor: User, devices: int = DEVICES, seed: int = 27) -> int:
    """Fill the actor's force's register, once (a register that has devices is left alone)."""
    force = actor.force
    if force is None or Device.objects.filter(force=force).exists():
        return 0
    if not actor.has_perm("mobility.manage_devices"):
        # A demo database made before the register existed: its device manager role was seeded
        # without the register's permissions (seeding never changes a role a force has).
        logger.warning("No demo device register: %s's role lacks mobility.manage_devices.", actor)
        return 0
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    with transaction.atomic():
        models = [
            DeviceModel.objects.create(force=force, name=n, kind=k, capital_cost=Decimal(c), running_cost=Decimal(r))
            for n, k, c, r, _ in MODELS
        ]
        units = list(workforce.units(actor=actor, permission="mobility.plan_allocation"))
        bcus = list(workforce.bcus(actor=actor, permission="mobility.view_device"))
        made = _devices(force, rng, models, units, bcus, devices)
        _factory(force, rng, actor)
        _plan(force, rng, models, units)
        _benefits(force)
        audit.record(
            operation="collection",
            actor=actor,
            record_type="mobility.device",
            record_ids=[],
            force=force,
            details={"demo_register": made},
        )
        emit("mobility.register.loaded", force=force, devices=made)
    return made


def _devices(
    force: Force, rng: random.Random, models: list[DeviceModel], units: list[Any], bcus: list[Any], count: int
) -> int:
    weights = [share for *_, share in MODELS]
    states, state_weights = zip(*STATES, strict=True)
    now = timezone.now()
    sims: dict[int, Sim] = {}
    devices: list[Device] = []
    for number in range(1, count + 1):
        model = rng.choices(models, weights)[0]
        state = rng.choices(states, state_weights)[0]
        # Central units (no BCU) own about a fifth of the register.
        unit = rng.choice(units) if units and rng.random() < 0.3 else None
        bcu_id = unit.bcu_id if unit else (rng.choice(bcus).pk if bcus and rng.random() < 0.8 else None)
        if model.kind == "phone":
            sims[number] = Sim(
                force=force, iccid=f"894410{number:013d}", phone_number=f"07700{number:06d}", network="EE"
            )
        devices.append(
            Device(
                force=force,
                model=model,
                serial_number=f"MET{number:07d}",
                imei=f"35{number:013d}" if model.kind != "laptop" else "",
                state=state,
                cost_unit_id=unit and unit.pk,
                bcu_id=bcu_id,
                priority=rng.choice((1, 2, 2, 3, 3, 3, 4)),
                last_seen_at=now - dt.timedelta(hours=rng.randint(1, 24 * 20)) if state == "issued" else None,
            )
        )
    Sim.objects.bulk_create(sims.values(), batch_size=2000)
    sim_ids = dict(Sim.objects.filter(force=force).values_list("iccid", "pk"))
    for number, sim in sims.items():
        devices[number - 1].sim_id = sim_ids[sim.iccid]
    Device.objects.bulk_create(devices, batch_size=2000)
    return len(devices)


def _factory(force: Force, rng: random.Random, actor: User) -> None:
    """Stations, and the build and test steps of the last two weeks for what is built, tested
    or ready: a roll-out in progress."""
    stations = [BuildStation.objects.create(force=force, name=n, capacity_per_day=c) for n, c in STATIONS]
    today = timezone.localdate()
    days = list(itertools.takewhile(lambda day: day < today, factory.working_days(today - dt.timedelta(days=14))))
    steps = []
    for device in Device.objects.filter(force=force, state__in=("built", "tested", "ready")).only("pk", "state")[:3000]:
        day = rng.choice(days)
        at = timezone.make_aware(dt.datetime.combine(day, dt.time(rng.randint(8, 16), rng.randint(0, 59))))
        steps.append(BuildStep(device=device, station=rng.choice(stations[:3]), kind="build", at=at, by=actor))
        if device.state != "built":
            test_at = at + dt.timedelta(hours=1)
            steps.append(BuildStep(device=device, station=stations[3], kind="test", at=test_at, by=actor))
    BuildStep.objects.bulk_create(steps, batch_size=5000)


def _plan(force: Force, rng: random.Random, models: list[DeviceModel], units: list[Any]) -> None:
    """Each unit's need by role, with a hard date for the response teams (a station closing)."""
    closing = timezone.localdate() + dt.timedelta(days=21)
    requirements = []
    for unit in units:
        frontline = "RESP" in unit.code
        group = "Frontline Policing" if frontline else "Specialist Operations"
        for role, model, low, high, hours in (
            ("Police Constable", models[0], 60, 240, 90),
            ("Sergeant", models[1], 8, 30, 70),
            ("Police staff", models[2], 5, 25, 40),
        ):
            requirements.append(
                Requirement(
                    force=force,
                    unit=unit,
                    role=role,
                    model=model,
                    quantity=rng.randint(low, high),
                    priority=1 if frontline else rng.randint(2, 4),
                    benefit_per_device=Decimal(hours + rng.randint(-10, 10)),
                    business_group=group,
                    needed_by=closing if frontline else None,
                )
            )
    Requirement.objects.bulk_create(requirements)
    by_code = {unit.code: unit for unit in units}
    for name, kind, amount, codes in STREAMS:
        stream = FundingStream.objects.create(force=force, name=name, kind=kind, amount=Decimal(amount))
        stream.units.set([by_code[code] for code in codes if code in by_code])


def _benefits(force: Force) -> None:
    due = dt.date(timezone.localdate().year + 1, 3, 31)
    Benefit.objects.bulk_create(
        Benefit(
            force=force,
            name=name,
            business_group=group,
            measure=measure,
            baseline=Decimal(baseline),
            target=Decimal(target),
            actual=Decimal(actual) if actual else None,
            owner="Smarter Working programme board",
            due_on=due,
            measured_on=timezone.localdate() - dt.timedelta(days=7) if actual else None,
        )
        for name, group, measure, baseline, target, actual in BENEFITS
    )
