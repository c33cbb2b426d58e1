"""Dispatch benchmarks: recommendation among 10,000 live units and AVL ingestion, in process
and through the batch HTTP API, each against a naive baseline measured in the same run.

Hook: ``benchmarks.run`` calls :func:`bench_dispatch` (after ``setup_django``) for the
in-process rows and :func:`http_section` for the HTTP table. Run alone with
``python -m benchmarks.dispatch``.

* Recommendation — candidate: ``recommend.rank_for`` (the per-force numpy index, capability
  masks, ETA, top 5, then the database re-check of the 5 offered); baseline: one SQL query that
  computes the ETA of every available unit of the right types whose crew holds the required
  authorisations and sorts them (what one would write first). Both must agree on the top unit.
* AVL ingestion — candidate: ``avl.ingest_positions`` in batches of 5,000 (checks, index update,
  bulk upsert of the latest rows, sampled history); baseline: the same positions written one
  ``update_or_create`` at a time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
UNITS = 10_000
NAIVE_CASES = 16  # the baseline is slow (up to ~40 s a query): a sample of the same cases, two of each kind
TYPE_MIX = [
    ("IRV", 50),
    ("AREA_CAR", 15),
    ("ARV", 5),
    ("DOG", 3),
    ("TRAFFIC", 7),
    ("TSG", 5),
    ("FOOT", 10),
    ("PCSO", 5),
]
CREW_SKILLS = {
    "IRV": ["RESPONSE_DRIVER"],
    "AREA_CAR": ["ADVANCED_DRIVER", "RESPONSE_DRIVER"],
    "ARV": ["AFO", "ADVANCED_DRIVER"],
    "DOG": ["DOG_HANDLER", "RESPONSE_DRIVER"],
    "TRAFFIC": ["ADVANCED_DRIVER", "FIRST_AID"],
    "TSG": ["PUBLIC_ORDER_L2", "RESPONSE_DRIVER"],
    "FOOT": [],
    "PCSO": [],
}
INCIDENT_KINDS = [  # (category, qualifiers, grade): a mix that exercises the capability filters
    ("crime.violence", [], "I"),
    ("crime.theft", [], "S"),
    ("crime.weapons", ["firearms"], "I"),
    ("crime.weapons", ["knife"], "I"),
    ("crime.burglary", [], "I"),
    ("transport.rtc_injury", [], "I"),
    ("public_safety.missing_person", [], "S"),
    ("crime.public_order", [], "S"),
]


def _london_points(count: int, seed: int) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    return [(rng.uniform(51.40, 51.62), rng.uniform(-0.40, 0.15)) for _ in range(count)]


def build_world(units: int = UNITS, seed: int = 5) -> dict[str, Any]:
    """10,000 crewed units of the Met (bulk-inserted: setup, not what is measured), most of
    them available, 30% with a Taser officer (a tenth of whose authorisations have expired)."""
    from django.utils import timezone

    from bluelamp.business.models import Authorisation, Person, Skill
    from bluelamp.business.services import load_skills
    from bluelamp.control.models import CrewMember, Resource, UnitStatus, UnitType
    from bluelamp.control.units.services import load_unit_types, seed_unit_statuses
    from bluelamp.core import services
    from bluelamp.core.models import Bcu, Force, Role, User

    services.load_geography()
    load_skills()
    load_unit_types()
    met = Force.objects.get(code="met")
    services.seed_roles(force=met)
    seed_unit_statuses(force=met)
    rng = random.Random(seed)
    statuses = {s.base_type: s for s in UnitStatus.objects.filter(force=met).order_by("-position")}
    types = {t.code: t for t in UnitType.objects.all()}
    bcus = list(Bcu.objects.filter(force=met))
    skills = {s.code: s for s in Skill.objects.all()}
    now = timezone.now()
    kinds = [code for code, weight in TYPE_MIX for _ in range(weight)]
    made = []
    for number in range(units):
        kind = rng.choice(kinds)
        base = rng.choices(["available", "assigned", "at_scene", "unavailable"], [60, 20, 10, 10])[0]
        made.append(
            Resource(
                force=met,
                call_sign=f"U{number:05d}",
                unit_type=types[kind],
                home_bcu=rng.choice(bcus),
                status=statuses[base],
                status_since=now,
            )
        )
    Resource.objects.bulk_create(made, batch_size=2000)
    units_made = list(Resource.objects.filter(force=met).select_related("unit_type").order_by("pk"))
    people, crew_of = [], []
    for unit in units_made:
        for seat in range(unit.unit_type.min_crew):
            people.append(
                Person(
                    force=met,
                    staff_number=f"B{unit.pk:06d}{seat}",
                    first_name="Bench",
                    last_name=f"Officer{unit.pk}",
                    rank_or_grade="PC",
                )
            )
            crew_of.append(unit)
    Person.objects.bulk_create(people, batch_size=2000)
    people = list(Person.objects.filter(force=met, staff_number__startswith="B").order_by("pk"))
    long_ago, ahead = dt.date(2020, 1, 1), dt.date(2035, 1, 1)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    crews, grants = [], []
    for person, unit in zip(people, crew_of, strict=True):
        crews.append(CrewMember(unit=unit, person=person, from_at=now))
        for code in CREW_SKILLS[unit.unit_type.code]:
            grants.append(Authorisation(person=person, skill=skills[code], valid_from=long_ago, valid_until=ahead))
        if rng.random() < 0.3:
            until = yesterday if rng.random() < 0.1 else ahead
            grants.append(Authorisation(person=person, skill=skills["TASER"], valid_from=long_ago, valid_until=until))
    CrewMember.objects.bulk_create(crews, batch_size=2000)
    Authorisation.objects.bulk_create(grants, batch_size=2000)
    feed_user = User.objects.create_user(username="bench-dispatcher", force=met)
    for code in ("dispatcher", "force_admin"):
        Role.objects.get(force=met, code=code).members.add(feed_user)
    return {"force": met, "units": units_made, "user": User.objects.get(pk=feed_user.pk)}


def _feed(force_id: int) -> Any:
    from bluelamp.core.access import ClientActor
    from bluelamp.dispatch.avl import SEND_POSITIONS

    return ClientActor(token_id=0, name="bench feed", force_id=force_id, permissions=frozenset({SEND_POSITIONS}))


def _batches(units: list[Any], rounds: int, seed: int, start: dt.datetime) -> list[list[dict[str, Any]]]:
    """``rounds`` fixes of every unit, 10 s apart, moving a few metres each time, in batches of 5,000."""
    rng = random.Random(seed)
    home = {u.pk: p for u, p in zip(units, _london_points(len(units), seed), strict=True)}
    items = []
    for step in range(rounds):
        at = (start + dt.timedelta(seconds=10 * step)).isoformat()
        for unit in units:
            lat, lon = home[unit.pk]
            lat, lon = lat + rng.uniform(-0.0004, 0.0004), lon + rng.uniform(-0.0006, 0.0006)
            home[unit.pk] = (lat, lon)
            items.append({"unit": unit.call_sign, "at": at, "lat": lat, "lon": lon, "speed": 8.0, "heading": 90.0,
                          "source": "avl"})  # fmt: skip
    return [items[i : i + 5000] for i in range(0, len(items), 5000)]


def bench_ingestion(world: dict[str, Any]) -> Any:
    from django.utils import timezone

    from benchmarks.run import Result
    from bluelamp.control.models import Resource
    from bluelamp.dispatch import avl, store
    from bluelamp.dispatch.models import UnitPosition

    force = world["force"]
    feed = _feed(force.pk)
    start = timezone.now() - dt.timedelta(minutes=10)
    batches = _batches(world["units"], rounds=10, seed=11, start=start)
    # A worker builds the force's index and its service area once, at its first batch (about a
    # second for 10,000 units, see docs/dispatch.md); measured here is the steady state after it.
    store.forget()
    store.index_for(force.pk)
    avl.service_area(force.pk, avl.avl_rules().service_area_buffer_metres)
    latencies = []
    began, began_cpu = time.perf_counter(), time.thread_time()
    accepted = 0
    for batch in batches:
        before = time.perf_counter_ns()
        result = avl.ingest_positions(actor=feed, items=batch)
        latencies.append(time.perf_counter_ns() - before)
        accepted += result.accepted
        assert not result.rejected, result.rejected[:3]
    elapsed, cpu = time.perf_counter() - began, time.thread_time() - began_cpu
    operations = sum(len(b) for b in batches)
    assert accepted == operations
    # Baseline: the same kind of fixes written one at a time (a sample of them, it is slow).
    units = {u.call_sign: u for u in Resource.objects.filter(force=force)}
    sample = _batches(world["units"][:2000], rounds=1, seed=12, start=start + dt.timedelta(minutes=5))[0]
    from bluelamp.core.geography import to_bng

    naive_latencies = []
    naive_began = time.perf_counter()
    for item in sample:
        before = time.perf_counter_ns()
        unit = units[item["unit"]]
        easting, northing = to_bng(item["lat"], item["lon"])
        UnitPosition.objects.update_or_create(
            unit=unit,
            defaults={"force": force, "at": dt.datetime.fromisoformat(item["at"]), "lat": item["lat"],
                      "lon": item["lon"], "easting": easting, "northing": northing, "speed": item["speed"],
                      "heading": item["heading"], "source": "avl", "received_at": timezone.now()},
        )  # fmt: skip
        naive_latencies.append(time.perf_counter_ns() - before)
    naive_elapsed = time.perf_counter() - naive_began
    return Result(
        f"AVL ingestion in process (10,000 units, batches of 5,000; p99 per batch; "
        f"{operations / cpu:,.0f}/s of CPU time)",
        "ingest_positions: checks + index + bulk upsert + history",
        "update_or_create per fix",
        operations / elapsed,
        len(sample) / naive_elapsed,
        statistics.quantiles(latencies, n=100)[98] / 1000 if len(latencies) > 1 else latencies[0] / 1000,
        statistics.quantiles(naive_latencies, n=100)[98] / 1000,
        operations,
    )


NAIVE_SQL = """
SELECT u.id, u.call_sign, p.easting, p.northing, t.code
FROM control_resource u
JOIN control_unitstatus s ON s.id = u.status_id
JOIN control_unittype t ON t.id = u.unit_type_id
JOIN dispatch_unitposition p ON p.unit_id = u.id
WHERE u.force_id = %s AND s.base_type = 'available' AND t.code IN ({types})
  AND NOT EXISTS (SELECT 1 FROM control_assignment a WHERE a.unit_id = u.id AND a.state <> 'cleared')
  {every}
  {anyone}
ORDER BY ROUND(
  SQRT((p.easting - %s) * (p.easting - %s) + (p.northing - %s) * (p.northing - %s)) * %s /
  CASE t.code {speeds} ELSE %s END), u.call_sign
LIMIT 5
"""
EVERY = """AND NOT EXISTS (
    SELECT 1 FROM control_crewmember c WHERE c.unit_id = u.id AND c.until_at IS NULL AND NOT EXISTS (
      SELECT 1 FROM business_authorisation z JOIN business_skill k ON k.id = z.skill_id
      WHERE z.person_id = c.person_id AND k.code = %s AND z.valid_from <= %s
        AND (z.valid_until IS NULL OR z.valid_until >= %s)))"""
ANYONE = """AND EXISTS (
    SELECT 1 FROM control_crewmember c JOIN business_authorisation z ON z.person_id = c.person_id
    JOIN business_skill k ON k.id = z.skill_id
    WHERE c.unit_id = u.id AND c.until_at IS NULL AND k.code = %s AND z.valid_from <= %s
      AND (z.valid_until IS NULL OR z.valid_until >= %s))"""


def naive_recommendation(force_id: int, requirement: Any, grade: str, destination: tuple[float, float]) -> list[Any]:
    """What one writes first: one SQL query computing every candidate unit's ETA, sorted."""
    from django.db import connection
    from django.utils import timezone

    from bluelamp.dispatch.rules import travel_rules

    rules = travel_rules()
    today = timezone.localdate()
    every = "\n".join(EVERY for _ in requirement.skills_all)
    anyone = "\n".join(ANYONE for _ in requirement.skills_any)
    speeds = " ".join("WHEN %s THEN %s" for _ in rules.speeds_kmh)
    sql = NAIVE_SQL.format(
        types=", ".join(["%s"] * len(requirement.unit_types)), every=every, anyone=anyone, speeds=speeds
    )
    x, y = destination
    params: list[Any] = [force_id, *requirement.unit_types]
    for code in requirement.skills_all:
        params += [code, today, today]
    for code in requirement.skills_any:
        params += [code, today, today]
    params += [x, x, y, y, rules.road_factor]
    for code in rules.speeds_kmh:
        params += [code, rules.speed_mps(code, grade)]
    params.append(rules.speed_mps("default", grade))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def bench_recommendation(world: dict[str, Any], queries: int = 2000) -> Any:
    from django.db import connection
    from django.utils import timezone

    from benchmarks.run import Result
    from bluelamp.control.models import Incident
    from bluelamp.core.geography import to_bng
    from bluelamp.dispatch import recommend, store
    from bluelamp.dispatch.rules import requirement_for

    if connection.vendor == "sqlite":  # SQLite has SQRT only when compiled with maths functions
        connection.ensure_connection()
        connection.connection.create_function("SQRT", 1, lambda v: None if v is None else v**0.5)  # type: ignore[union-attr]
    force = world["force"]
    store.forget()
    store.index_for(force.pk)  # built once, as at a worker's first request
    today = timezone.localdate()
    cases = []
    for number, (lat, lon) in enumerate(_london_points(queries, 22)):
        category, qualifiers, grade = INCIDENT_KINDS[number % len(INCIDENT_KINDS)]
        incident = Incident(force=force, grade=grade, opening_category=category, opening_qualifiers=qualifiers,
                            lat=lat, lon=lon, created_at=timezone.now(), cad_day=today, cad_number=1)  # fmt: skip
        requirement = requirement_for(category=category, qualifiers=qualifiers, grade=grade, on=today)
        cases.append((incident, requirement, to_bng(lat, lon)))

    def ours(case: Any) -> Any:
        incident, requirement, destination = case
        return recommend.rank_for(
            force_id=force.pk, incident=incident, requirement=requirement, destination=destination
        )

    def naive(case: Any) -> Any:
        incident, requirement, destination = case
        return naive_recommendation(force.pk, requirement, incident.grade, destination)

    # The baseline, on a sample (some of its queries take seconds), also checks that both agree on
    # the top unit (or on there being none) — otherwise their speeds would mean nothing.
    checked = cases[:NAIVE_CASES]
    agree, naive_latencies = 0, []
    naive_began = time.perf_counter()
    for case in checked:
        before = time.perf_counter_ns()
        baseline = naive(case)
        naive_latencies.append(time.perf_counter_ns() - before)
        found = ours(case)
        top = found.offered[0].candidate.unit_id if found.offered else None
        agree += top == (baseline[0][0] if baseline else None)
    naive_rate = len(checked) / (time.perf_counter() - naive_began)  # includes ours: a slight flattery
    # SQLite's ROUND rounds halves away from zero, numpy's to even: a tie can rarely differ.
    assert agree >= len(checked) - 1, f"the index and the SQL disagree on the top unit in {len(checked) - agree} cases"

    latencies, cpu = [], []
    began = time.perf_counter()
    for case in cases:
        before, before_cpu = time.perf_counter_ns(), time.thread_time_ns()
        ours(case)
        latencies.append(time.perf_counter_ns() - before)
        cpu.append(time.thread_time_ns() - before_cpu)
    rate = len(cases) / (time.perf_counter() - began)
    p99 = statistics.quantiles(latencies, n=100)[98] / 1000
    cpu_p99 = statistics.quantiles(cpu, n=100)[98] / 1000
    return Result(
        f"recommendation among {UNITS:,} live units, capability filters, top 5 (CPU-time p99 {cpu_p99:,.0f} µs)",
        "numpy index per force + DB re-check of the 5",
        "one SQL query: every unit's ETA",
        rate,
        naive_rate,
        p99,
        statistics.quantiles(naive_latencies, n=100)[98] / 1000,
        len(cases),
    ), agree


def bench_dispatch() -> list[Any]:
    """The in-process rows for benchmarks/run.py (Django already set up, database migrated)."""
    print("dispatch: building 10,000 crewed units…", file=sys.stderr, flush=True)
    world = build_world()
    print("dispatch: AVL ingestion…", file=sys.stderr, flush=True)
    ingestion = bench_ingestion(world)
    print("dispatch: recommendation…", file=sys.stderr, flush=True)
    recommendation, agree = bench_recommendation(world)
    print(f"dispatch: top unit agreed with the SQL baseline in {agree}/{NAIVE_CASES} cases", file=sys.stderr)
    return [recommendation, ingestion]


# Through HTTP -------------------------------------------------------------------------------

HTTP_SETUP = """
import sys
sys.path.insert(0, {root!r})
from benchmarks.dispatch import build_world
from django.contrib.auth.models import Permission
from bluelamp.core import tokens
from bluelamp.core.models import User
world = build_world()
admin = User.objects.create_superuser(username="bench-admin", password=None, force=world["force"])
permission = Permission.objects.get(content_type__app_label="dispatch", codename="send_positions")
print(tokens.create_api_token(actor=admin, force=world["force"], name="AVL", permissions=[permission]).secret)
"""


@contextmanager
def served(database_url: str | None) -> Iterator[tuple[str, str]]:
    from benchmarks.http_incidents import bench_home, serving

    with (
        bench_home("bluelamp-avl-bench-", database_url) as (home, env),
        serving(home, env, HTTP_SETUP.format(root=str(ROOT))) as (base, token),
    ):
        yield base, token


def _http_items(count: int, seed: int, start: dt.datetime, offset_s: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    points = _london_points(UNITS, 99)
    items = []
    for number in range(count):
        unit = number % UNITS
        step = number // UNITS
        lat, lon = points[unit]
        at = (start + dt.timedelta(seconds=offset_s + 10 * step)).isoformat()
        items.append({"unit": f"U{unit:05d}", "at": at, "lat": lat + rng.uniform(-2e-4, 2e-4),
                      "lon": lon + rng.uniform(-3e-4, 3e-4), "speed": 5.0, "source": "avl"})  # fmt: skip
    return items


async def _post_all(
    base: str, token: str, bodies: list[list[dict[str, Any]]], concurrency: int
) -> tuple[float, list[float]]:
    from benchmarks.http_incidents import client_session, send

    latencies: list[float] = []
    async with client_session(base, token, concurrency, timeout_s=120) as client:
        queue: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
        for body in bodies:
            queue.put_nowait(body)

        async def worker() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                began = time.perf_counter()
                answer = await send(client, "POST", "/api/v1/dispatch/positions", {"items": body})
                assert not answer["rejected"], answer["rejected"][:3]
                latencies.append((time.perf_counter() - began) * 1000)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - began, latencies


def http_section(database_url: str | None = None, label: str = "SQLite") -> str:
    """AVL ingestion through the batch HTTP API (uvicorn, one worker): batches of 5,000 vs one
    position per request, same server, same run."""
    from django.utils import timezone

    goal = 5000
    start = timezone.now() - dt.timedelta(minutes=20)
    lines = [
        "",
        f"## AVL ingestion over HTTP ({label}, uvicorn, one worker, {UNITS:,} units)",
        "",
        f"Goal: at least {goal:,} positions/s through the batch API.",
        "",
        "| measured | positions | per second | p50 ms/request | p99 ms/request | goal met |",
        "|---|---:|---:|---:|---:|---|",
    ]
    with served(database_url) as (base, token):
        warm = _http_items(5000, 1, start, 0)
        asyncio.run(_post_all(base, token, [warm], 1))
        items = _http_items(100_000, 2, start, 30)
        seconds, latencies = asyncio.run(
            _post_all(base, token, [items[i : i + 5000] for i in range(0, len(items), 5000)], 2)
        )
        singles = _http_items(2000, 3, start, 400)
        single_seconds, single_latencies = asyncio.run(_post_all(base, token, [[item] for item in singles], 8))
    for what, count, elapsed, lat, mark in (
        ("batches of 5,000 positions", len(items), seconds, latencies, "yes" if len(items) / seconds >= goal else "no"),
        ("one position per request (baseline)", len(singles), single_seconds, single_latencies, "(baseline)"),
    ):
        p99 = statistics.quantiles(lat, n=100)[98] if len(lat) > 1 else lat[0]
        lines.append(
            f"| {what} | {count:,} | {count / elapsed:,.0f} | {statistics.median(lat):,.1f} | {p99:,.1f} | {mark} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    from benchmarks.run import report, setup_django

    setup_django()
    results = bench_dispatch()
    text = report(results)
    if "--no-http" not in sys.argv:
        text += http_section()
    print(text)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("BLUELAMP_ENV", "test")
    sys.exit(main())
