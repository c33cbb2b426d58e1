"""bluelamp benchmarks: measured figures, each against a baseline measured in the same run.

Run with `make bench`. Writes benchmarks/reports/latest.md (git-ignored) and prints it. Tests
never depend on timing; this is where speed is measured.
"""

from __future__ import annotations

import atexit
import csv
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import timeit
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "benchmarks" / "reports"
STREET_CRIME = ROOT.parent / "shared" / "data" / "metropolitan-street-2023-01-sample.csv"


@dataclass
class Result:
    name: str
    candidate: str
    baseline: str
    candidate_rate: float  # operations per second
    baseline_rate: float
    candidate_p99_us: float
    baseline_p99_us: float
    operations: int

    @property
    def speedup(self) -> float:
        return self.candidate_rate / self.baseline_rate


def setup_django() -> None:
    home = tempfile.mkdtemp(prefix="bluelamp-bench-")
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    os.environ.update({"BLUELAMP_HOME": home, "BLUELAMP_ENV": "test", "DJANGO_SETTINGS_MODULE": "bluelamp.settings"})
    os.environ.pop("DATABASE_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def crime_points(limit: int) -> list[tuple[float, float]]:
    """Real places where crime was reported (data.police.uk), repeated to `limit`, plus some
    points outside London; random points in a box if the shared data is not on this machine."""
    rng = random.Random(20261122)
    points: list[tuple[float, float]] = []
    if STREET_CRIME.exists():
        with STREET_CRIME.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["Latitude"] and row["Longitude"]:
                    points.append((float(row["Latitude"]), float(row["Longitude"])))
    while len(points) < 500:
        points.append((rng.uniform(51.28, 51.70), rng.uniform(-0.52, 0.34)))
    return [points[i % len(points)] for i in range(limit)]


def time_each(function: Callable[[float, float], object], points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """(operations per second, p99 latency in microseconds) calling `function` once per point."""
    latencies = []
    start = time.perf_counter()
    for lat, lon in points:
        before = time.perf_counter_ns()
        function(lat, lon)
        latencies.append(time.perf_counter_ns() - before)
    elapsed = time.perf_counter() - start
    p99 = statistics.quantiles(latencies, n=100)[98] / 1000
    return len(points) / elapsed, p99


def bench_point_lookup(points: Sequence[tuple[float, float]]) -> list[Result]:
    import shapely
    from shapely.geometry import shape

    from bluelamp.core import selectors, services
    from bluelamp.core.models import Borough

    services.load_geography()
    index = selectors.area_index()
    # Baseline: what one would write first — test every borough polygon in turn.
    polygons = [(b.gss_code, shape(b.boundary)) for b in Borough.with_boundary.order_by("gss_code")]

    def naive(lat: float, lon: float) -> str | None:
        point = shapely.Point(lon, lat)
        return next((code for code, polygon in polygons if polygon.covers(point)), None)

    # The two must agree before their speed means anything.
    for lat, lon in points[:2000]:
        found = index.locate(lat, lon)
        assert (found.borough_gss if found else None) == naive(lat, lon), (lat, lon)

    indexed_rate, indexed_p99 = time_each(index.locate, points)
    naive_rate, naive_p99 = time_each(naive, points[: len(points) // 4])
    single = Result(
        "point -> borough/BCU/force, one at a time",
        "STRtree over prepared polygons",
        "scan every polygon",
        indexed_rate,
        naive_rate,
        indexed_p99,
        naive_p99,
        len(points),
    )

    start = time.perf_counter()
    index.locate_many(points)
    batch_rate = len(points) / (time.perf_counter() - start)
    batch = Result(
        "point -> borough/BCU/force, in one batch",
        "locate_many (vectorised STRtree query)",
        "STRtree one at a time",
        batch_rate,
        indexed_rate,
        0.0,
        indexed_p99,
        len(points),
    )
    return [single, batch, bench_many_small_areas(polygons, points)]


def bench_many_small_areas(boroughs: list[tuple[str, Any]], points: Sequence[tuple[float, float]]) -> Result:
    """The same lookup over ~2,000 small areas (each borough cut by a ~1 km grid), the size of a
    force's wards or patrol beats: where an index matters."""
    import shapely
    from shapely.geometry import box

    from bluelamp.core.geography import Area, AreaIndex

    cells = []
    for code, polygon in boroughs:
        west, south, east, north = polygon.bounds
        lat = south
        while lat < north:
            lon = west
            while lon < east:
                piece = polygon.intersection(box(lon, lat, lon + 0.0145, lat + 0.009))
                if not piece.is_empty and piece.area > 0:
                    cells.append((Area(force_code="met", force_name="Met", borough_gss=f"{code}:{len(cells)}"), piece))
                lon += 0.0145
            lat += 0.009
    index = AreaIndex(cells)
    unprepared = [(area, shapely.from_wkb(shapely.to_wkb(piece))) for area, piece in cells]

    def naive(lat: float, lon: float) -> Area | None:
        point = shapely.Point(lon, lat)
        return next((area for area, piece in unprepared if piece.covers(point)), None)

    sample = points[:5000]
    for lat, lon in sample[:500]:
        assert index.locate(lat, lon) == naive(lat, lon), (lat, lon)
    rate, p99 = time_each(index.locate, sample)
    naive_rate, naive_p99 = time_each(naive, sample[:1000])
    return Result(
        f"point -> one of {len(cells):,} small areas",
        "STRtree over prepared polygons",
        "scan every polygon",
        rate,
        naive_rate,
        p99,
        naive_p99,
        len(sample),
    )


def cpu_model() -> str:
    """The processor's name as Linux gives it (/proc/cpuinfo), or "unknown processor"."""
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        return "unknown processor"
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "unknown processor")


def one_core_ms() -> float:
    """Milliseconds for ``sum(range(10**6))``, the best of five: a figure of the machine alone."""
    return min(timeit.repeat("sum(range(10**6))", number=1, repeat=5)) * 1000


def report(results: list[Result], heading: str = "") -> str:
    """A table of results, under the report's title or, with ``heading``, under a section of its own."""
    title = (
        [f"## {heading}", ""]
        if heading
        else [
            f"# bluelamp benchmarks — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
            "",
            f"Machine: {os.cpu_count()} CPUs ({cpu_model()}), Python {sys.version.split()[0]}. Baselines run in the"
            " same process.",
            "",
            f"One core's speed: a fixed loop of Python (`sum(range(10**6))`) took {one_core_ms():.1f} ms, best of 5."
            " Compare reports made on different machines by this line, and figures within a report by its"
            " baselines.",
            "",
        ]
    )
    lines = [
        *title,
        "| benchmark | candidate | ops/s | p99 µs | baseline | ops/s | p99 µs | speed-up |",
        "|---|---|---:|---:|---|---:|---:|---:|",
    ]
    for r in results:
        candidate_p99 = f"{r.candidate_p99_us:,.1f}" if r.candidate_p99_us else "—"
        lines.append(
            f"| {r.name} ({r.operations:,} points) | {r.candidate} | {r.candidate_rate:,.0f} | {candidate_p99} "
            f"| {r.baseline} | {r.baseline_rate:,.0f} | {r.baseline_p99_us:,.1f} | {r.speedup:,.1f}x |"
        )
    return "\n".join(lines) + "\n"


def http_section() -> str:
    """Incident creation over HTTP on SQLite and PostgreSQL, with /healthz as the baseline."""
    from benchmarks import http_incidents as bench

    goal_rate, goal_p99 = 50, 250.0
    postgres_url = os.environ.get("BLUELAMP_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    # SQLite is for one process; PostgreSQL with two workers, as several workers are served.
    cores = os.cpu_count() or 1
    runs = [
        ("SQLite", None, 1),
        ("PostgreSQL", bench.fresh_postgres_database(postgres_url), 2),
    ]
    lines = [
        "",
        "## Incident creation over HTTP (uvicorn, Django's ASGI handler; the load generator on the same machine)",
        "",
        f"Goal: at least {goal_rate} incidents/s with p99 at most {goal_p99:.0f} ms, judged on the open-loop row:",
        f"{goal_rate} incidents/s offered on schedule, each timed from when it was due. Below it, the highest",
        f"rate (in steps of {bench.CAPACITY_STEP}/s) the server kept up with within that p99. Each incident is a 999",
        "call recorded, the incident made from it with its CAD number, log entry, audit entries, outbox events",
        "and POLE event, in one transaction.",
        "",
        "SQL statements per incident made in one request (token lookup included, in process, the same on",
        f"any machine): {bench.statements_per_incident()}.",
        "",
        "CPU ms each: what the whole machine spent per operation (servers, database and this load generator;",
        f"in brackets, the load generator's part). {goal_rate}/s on {cores} cores leaves at most "
        f"{1000 * cores / goal_rate:.0f} ms each.",
        "",
        "| measured | operations | per second | p50 ms | p99 ms | CPU ms each | goal met |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for database, url, workers in runs:
        if url is None and database == "PostgreSQL":
            lines.append(f"| PostgreSQL at {postgres_url} unreachable: not measured | | | | | | no |")
            continue
        measured = bench.measure(
            database, url, operations=2000, workers=workers, goal_rate=goal_rate, goal_p99_ms=goal_p99
        )
        for row in measured:
            met = "yes" if row.meets(goal_rate, goal_p99) else "no"
            lines.append(
                f"| {row.what} | {row.operations:,} | {row.rate:,.0f} | {row.p50:,.1f} | {row.p99:,.1f} "
                f"| {row.cpu_ms_each:,.1f} ({row.client_cpu_ms_each:,.1f}) | {met if row.judged else ''} |"
            )
    return "\n".join(lines) + "\n"


def sse_section() -> str:
    """Time for one change to reach 100 open screens (server-sent events), one worker and two."""
    from benchmarks import sse

    postgres_url = os.environ.get("BLUELAMP_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    header = [
        "",
        f"## A change reaching {sse.CLIENTS} control-room screens (server-sent events)",
        "",
        "Goal: p99 at most 1,000 ms. Baseline: one screen, same server, same run.",
        "",
    ]
    return "\n".join(header) + "\n" + sse.report(sse.measure(postgres_url=sse.fresh_database(postgres_url))) + "\n"


def main() -> int:
    from benchmarks import dispatch, mobility_allocation, online_journeys

    setup_django()
    points = crime_points(40_000)
    sections = [
        report(bench_point_lookup(points)),
        http_section(),
        "\n" + report(dispatch.bench_dispatch(), heading="Dispatch engine in process (10,000 live units)"),
        dispatch.http_section(),
        sse_section(),
        online_journeys.section(),
        mobility_allocation.section(),
    ]
    text = "".join(sections)
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "latest.md").write_text(text, encoding="utf-8")
    print(text)
    print(f"Report written to {REPORTS / 'latest.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
