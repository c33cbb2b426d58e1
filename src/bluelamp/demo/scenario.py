"""The demo's London, built deterministically from a seed: a workforce with skills (some about to
expire), units of every type spread over the Met's BCUs and crewed from that workforce, and the
simulator's own sign-ins. Everything goes through the same services as real users (the HR import,
unit creation, crewing, booking on), so it is audited and evented like real work.

The same seed gives the same scenario; another seed gives another."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from bluelamp.business import services as hr
from bluelamp.business import workforce_csv
from bluelamp.business.demo import EXAMPLE_WORKFORCE, load_example_units
from bluelamp.business.models import Person
from bluelamp.control import rules
from bluelamp.control.models import Resource
from bluelamp.control.units import services as unit_services
from bluelamp.core import tokens
from bluelamp.core.access import ClientActor
from bluelamp.core.models import Bcu, Force, Role, User

DATA_DIR = Path(__file__).resolve().parent / "data"
SCENARIO_FILE = DATA_DIR / "scenario.json"
CRIME_POINTS_FILE = DATA_DIR / "street-crime-points.csv"
STAFF_NUMBER_START = 300_000  # clear of the example workforce's numbers
# The simulator's own accounts: its work shows under these names in every log and audit entry.
BOTS = {
    "sim-call-handler": ("call_handler", "Simulated call handler"),
    "sim-dispatcher": ("dispatcher", "Simulated dispatcher"),
    "sim-supervisor": ("control_supervisor", "Simulated control-room supervisor"),
    "sim-hr": ("hr", "Simulated HR import"),
    "sim-force-admin": ("force_admin", "Simulated force administrator"),
}

Report = Callable[[str], None]


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCENARIO_FILE.read_text(encoding="utf-8"))
    return loaded


@dataclass(frozen=True)
class CrimePoint:
    lat: float
    lon: float
    crime_type: str
    location: str


@cache
def crime_points() -> tuple[CrimePoint, ...]:
    """Where crime happens in the Met's area (one real month, see data/ATTRIBUTION.md)."""
    with CRIME_POINTS_FILE.open(encoding="utf-8", newline="") as file:
        return tuple(
            CrimePoint(float(row["lat"]), float(row["lon"]), row["crime_type"], row["location"])
            for row in csv.DictReader(file)
        )


@dataclass
class PlannedUnit:
    call_sign: str
    unit_type: str
    bcu_code: str
    crew: list[str] = field(default_factory=list)  # staff numbers
    off_duty: bool = False


@dataclass
class Plan:
    """What the scenario will create; pure data, so that determinism can be tested cheaply."""

    units: list[PlannedUnit]
    workforce_rows: list[dict[str, str]]


def _allocate(total: int, shares: dict[str, float]) -> dict[str, int]:
    """Whole numbers in proportion to ``shares`` that add up to ``total`` (largest remainders)."""
    raw = {key: total * share / sum(shares.values()) for key, share in shares.items()}
    counts = {key: int(value) for key, value in raw.items()}
    for key in sorted(raw, key=lambda k: (counts[k] - raw[k], k))[: total - sum(counts.values())]:
        counts[key] += 1
    return counts


def _skills_for(unit_type: dict[str, Any], member: int, rng: random.Random) -> list[str]:
    """What a crew member holds: what the unit type needs, first aid (nearly everyone) and, for
    some officers on response, a Taser authorisation."""
    held = [*unit_type["every_member_needs"], "FIRST_AID"]
    if member == 0:
        held += unit_type["one_member_needs"]
    if unit_type["code"] in spec()["units"]["taser_types"] and rng.random() < spec()["units"]["taser_share"]:
        held.append("TASER")
    return list(dict.fromkeys(held))


def plan(*, seed: int, units: int, bcu_codes: list[str], today: dt.date) -> Plan:
    """Decide every unit, crew member and authorisation from ``seed``."""
    rng = random.Random(seed)  # noqa: S311 - a demo seeded for repeatability, not a secret
    config, people = spec()["units"], spec()["people"]
    types = {item["code"]: item for item in rules.unit_type_specs()}
    planned: list[PlannedUnit] = []
    rows: list[dict[str, str]] = []
    staff_number = STAFF_NUMBER_START
    for unit_type, count in sorted(_allocate(units, config["mix"]).items()):
        prefix = config["call_sign_prefix"][unit_type]
        force_wide = unit_type in config["force_wide"]
        for number in range(1, count + 1):
            bcu = bcu_codes[(number - 1) % len(bcu_codes)]
            if force_wide:
                call_sign = f"{prefix}{number:02d}"
            else:
                call_sign = f"{bcu}{prefix}{(number - 1) // len(bcu_codes) + 1:02d}"
            unit = PlannedUnit(call_sign, unit_type, bcu, off_duty=rng.random() < config["off_duty_share"])
            for member in range(types[unit_type]["min_crew"]):
                staff_number += 1
                unit.crew.append(str(staff_number))
                rows.append(_person_row(rng, staff_number, unit, member, types[unit_type], people, today))
            planned.append(unit)
    return Plan(planned, rows)


def _person_row(
    rng: random.Random,
    staff_number: int,
    unit: PlannedUnit,
    member: int,
    unit_type: dict[str, Any],
    people: dict[str, list[str]],
    today: dt.date,
) -> dict[str, str]:
    config = spec()["units"]
    skills = []
    for code in _skills_for(unit_type, member, rng):
        start = today - dt.timedelta(days=rng.randint(200, 2000))
        chance = rng.random()
        if chance < config["expired_authorisation_share"]:
            until = today - dt.timedelta(days=rng.randint(1, 20))
        elif chance < config["expired_authorisation_share"] + config["expiring_authorisation_share"]:
            until = today + dt.timedelta(days=rng.randint(1, 28))
        else:
            until = today + dt.timedelta(days=rng.randint(60, 900))
        skills.append(f"{code}:{start.isoformat()}:{until.isoformat()}")
    pcso = unit.unit_type == "PCSO"
    return {
        "staff_number": str(staff_number),
        "warrant_number": "" if pcso else str(staff_number + 500_000),
        "first_name": rng.choice(people["first_names"]),
        "last_name": rng.choice(people["last_names"]),
        "rank_or_grade": "PCSO" if pcso else ("Sergeant" if member == 0 and unit.unit_type == "TSG" else "Constable"),
        "unit_code": f"{unit.bcu_code}-OPS",
        "bcu_code": unit.bcu_code,
        "line_manager_staff_number": "",
        "post_number": "",
        "skills": ";".join(skills),
    }


def _workforce_csv(rows: list[dict[str, str]]) -> bytes:
    """The example workforce and the planned people, as one HR extract."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=workforce_csv.COLUMNS, lineterminator="\n")
    writer.writeheader()
    with EXAMPLE_WORKFORCE.open(encoding="utf-8", newline="") as file:
        writer.writerows(csv.DictReader(file))
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def random_plate(rng: random.Random) -> str:
    """A registration mark in the current GB format (two letters, age identifier, three letters)."""
    letters = "ABCDEFGHJKLMNOPRSTUVWXYZ"
    area = rng.choice("ABDEFGHKLMNOPRSVWY") + rng.choice(letters)
    return f"{area}{rng.randint(51, 75)} {''.join(rng.choices(letters, k=3))}"


def bot(username: str) -> User:
    """The simulator's account for one role (created on first use; it cannot sign in)."""
    role_code, description = BOTS[username]
    met = Force.objects.get(code="met")
    user, created = User.objects.get_or_create(
        username=username, defaults={"force": met, "first_name": description, "last_name": "(simulation)"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        Role.objects.get(force=met, code=role_code).members.add(user)
    return user


def avl_feed() -> ClientActor:
    """The simulated vehicles' AVL feed: a machine client with its own API token, as a real
    feed would have (made by the force administrator, allowed only to send positions)."""
    admin = bot("sim-force-admin")
    permission = Permission.objects.get(content_type__app_label="dispatch", codename="send_positions")
    met = Force.objects.get(code="met")
    made = tokens.create_api_token(actor=admin, force=met, name="Simulated AVL feed", permissions=[permission])
    client = tokens.authenticate_token(made.secret)
    if client is None:  # pragma: no cover - a token just made is valid
        raise RuntimeError("The simulated AVL feed's token was refused.")
    return client


def start_operation(*, units: int = 8) -> None:
    """A pre-planned operation running now: a football match at the Emirates Stadium, with some
    foot patrols and a TSG carrier of North and Central North held for it."""
    from bluelamp.dispatch import services as dispatch
    from bluelamp.dispatch.models import Operation

    supervisor = bot("sim-supervisor")
    now = timezone.now()
    name = "Football: Arsenal v Chelsea, Emirates Stadium"
    if Operation.objects.filter(force=supervisor.force_id, name=name, ends_at__gt=now).exists():
        return
    west, south, east, north = -0.1155, 51.5510, -0.1020, 51.5590
    area = {
        "type": "Polygon",
        "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]],
    }
    operation = dispatch.create_operation(
        actor=supervisor,
        name=name,
        commander="Supt. Priya Example (Silver)",
        area=area,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=4),
    )
    held = Resource.objects.filter(
        force=supervisor.force_id, home_bcu__code__in=["NA", "CN"], unit_type__code__in=["FOOT", "TSG"]
    ).order_by("call_sign")[:units]
    dispatch.reserve_units(actor=supervisor, operation=operation, unit_ids=[unit.pk for unit in held])


@dataclass(frozen=True)
class Built:
    units: int
    people: int
    on_duty: int


def build(*, seed: int, units: int, report: Report = lambda _: None) -> Built:
    """Create the scenario's workforce and units in the Met (idempotent: a unit that exists is left
    as it is, so a second run only adds what is missing)."""
    met = Force.objects.get(code="met")
    bcus = {bcu.code: bcu for bcu in Bcu.objects.filter(force=met).order_by("code")}
    the_plan = plan(seed=seed, units=units, bcu_codes=list(bcus), today=timezone.localdate())
    hr_bot, supervisor = bot("sim-hr"), bot("sim-supervisor")
    load_example_units(actor=hr_bot)  # the example workforce's teams: its people are in the extract too
    for code, bcu in bcus.items():
        hr.save_unit(actor=hr_bot, force=met, code=f"{code}-OPS", name=f"{bcu.name} operations", kind="team", bcu=bcu)
    report(f"Importing a workforce of {len(the_plan.workforce_rows):,} people through the HR import…")
    hr.import_workforce_csv(
        actor=hr_bot, force=met, file=_workforce_csv(the_plan.workforce_rows), file_name="demo-workforce.csv"
    )
    people = {p.staff_number: p for p in Person.objects.filter(force=met, staff_number__gte=str(STAFF_NUMBER_START))}
    existing = set(Resource.objects.filter(force=met).values_list("call_sign", flat=True))
    wanted = [unit for unit in the_plan.units if unit.call_sign not in existing]
    report(f"Creating {len(wanted):,} units and booking their crews on…")
    for unit in wanted:
        _create_unit(supervisor, unit, bcus[unit.bcu_code], [people[number] for number in unit.crew])
    on_duty = sum(not unit.off_duty for unit in the_plan.units)
    return Built(units=len(the_plan.units), people=len(the_plan.workforce_rows), on_duty=on_duty)


@transaction.atomic
def _create_unit(actor: User, planned: PlannedUnit, bcu: Bcu, crew: list[Person]) -> Resource:
    unit = unit_services.create_unit(
        actor=actor, call_sign=planned.call_sign, unit_type=planned.unit_type, home_bcu=bcu
    )
    unit = unit_services.set_crew(actor=actor, unit=unit, people=crew)
    if not planned.off_duty:
        unit = unit_services.set_unit_status(actor=actor, unit=unit, status_code="AVL")
    return unit
