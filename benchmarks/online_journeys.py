"""Completed online report journeys per second, through the real views (Django's test client
in this process: middleware, sessions, CSRF-free forms, templates, database), with the p99
latency of a page and the database queries a journey makes. Baseline in the same run: GET
/healthz on the same client.

A journey is what a person does: the danger check, then for each question GET the page and
POST the answer, then GET 'Check your answers' and POST it, then GET the confirmation. Each
journey comes from its own IP address (as the public do), so the per-address rate limit holds.

Two figures per journey: one stream (one journey at a time in this process), and ``--processes``
streams at once (default 2, one per core): that many processes, each with its own Django, on the
same database, started together; their journeys added up over the wall time from the start to
the last one's end.

Run alone: ``python -m benchmarks.online_journeys [--database-url postgresql://…] [--processes N]``."""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
JOURNEYS = {"lost-found": 200, "crime": 60}


def setup(database_url: str | None = None, home: str | None = None, *, migrate: bool = True) -> str:
    """A fresh BLUELAMP_HOME (and database) with the London forces taking reports; returns the
    home. With ``home`` and ``migrate=False``: join one already set up (a parallel stream)."""
    if home is None:
        home = tempfile.mkdtemp(prefix="bluelamp-bench-online-")
        atexit.register(shutil.rmtree, home, ignore_errors=True)  # the streams joining it end first
    os.environ.update(
        {
            "BLUELAMP_HOME": home,
            "BLUELAMP_ENV": "test",
            "BLUELAMP_DEBUG": "false",
            "DJANGO_SETTINGS_MODULE": "bluelamp.settings",
        }
    )
    os.environ.pop("DATABASE_URL", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    import django
    from django.core.management import call_command

    django.setup()
    if migrate:
        call_command("migrate", verbosity=0)
        from bluelamp.core.services import load_geography
        from bluelamp.online.demo import seed_demo

        load_geography()
        seed_demo()
    return home


def _journey(client: Any, slug: str, latencies: list[float]) -> None:
    from bluelamp.online.samples import walk_journey

    def timed(method: str, url: str, data: Any = None) -> Any:
        before = time.perf_counter_ns()
        response = client.get(url) if method == "get" else client.post(url, data or {})
        latencies.append((time.perf_counter_ns() - before) / 1e6)
        return response

    walk_journey(client, "/sites/met/report/", slug, timed=timed)


def _client() -> Any:
    from django.test import Client

    return Client()  # one handler (a new Client builds the middleware again: WhiteNoise rescans)


def _new_person(client: Any, number: int) -> None:
    client.cookies.clear()  # a new person: no session, no CSRF cookie
    client.defaults["REMOTE_ADDR"] = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"


def _measure_journeys(slug: str, count: int, first: int = 0, client: Any = None) -> tuple[float, list[float]]:
    """``count`` journeys one after another: (seconds taken, each page's latency in ms)."""
    client = client or _client()
    latencies: list[float] = []
    start = time.perf_counter()
    for number in range(first, first + count):
        _new_person(client, number)
        _journey(client, slug, latencies)
    return time.perf_counter() - start, latencies


def _count_queries(slug: str, first: int) -> int:
    """The database queries of one journey (counted apart from the timed ones: capturing them
    slows each query down)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client()
    _new_person(client, first)
    with CaptureQueriesContext(connection) as queries:
        _journey(client, slug, [])
    return len(queries.captured_queries)


def _measure_healthz(count: int) -> tuple[float, float]:
    client = _client()
    latencies = []
    start = time.perf_counter()
    for _ in range(count):
        before = time.perf_counter_ns()
        assert client.get("/healthz").status_code == 200
        latencies.append((time.perf_counter_ns() - before) / 1e6)
    return count / (time.perf_counter() - start), statistics.quantiles(latencies, n=100)[98]


def _p99(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100)[98]


def _one_stream() -> list[dict[str, Any]]:
    from bluelamp.online.models import Report

    client = _client()
    for slug in JOURNEYS:  # warm up: templates compiled, the area index built, the catalogue read
        _measure_journeys(slug, 3, first=60000, client=client)
    healthz_rate, healthz_p99 = _measure_healthz(2000)
    rows = []
    for slug, count in JOURNEYS.items():
        before = Report.objects.count()
        elapsed, latencies = _measure_journeys(slug, count, client=client)
        assert Report.objects.count() - before == count  # every journey really made a report
        requests = len(latencies) // count
        queries = _count_queries(slug, first=60100)
        rows.append(
            {
                "journey": slug,
                "count": count,
                "requests": requests,
                "queries": queries,
                "rate": count / elapsed,
                "p99_ms": _p99(latencies),
                "baseline_rate": healthz_rate,
                "baseline_p99_ms": healthz_p99,
            }
        )
    return rows


# Several streams at once ---------------------------------------------------------------------


def _stream(slug: str, count: int, first: int) -> None:
    """One process of a parallel run (Django set up already): warm up, say 'ready', wait for
    'go' on stdin, walk ``count`` journeys, print one JSON line of what it measured."""
    client = _client()
    _measure_journeys(slug, 3, first=first + count, client=client)
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.time()
    elapsed, latencies = _measure_journeys(slug, count, first=first, client=client)
    print(json.dumps({"started": started, "ended": started + elapsed, "rate": count / elapsed, "latencies": latencies}))


def _parallel(database_url: str, home: str, slug: str, count: int, processes: int) -> dict[str, Any]:
    """``processes`` streams of ``count`` journeys each, started together on one database."""
    from bluelamp.online.models import Report

    command = [sys.executable, "-m", "benchmarks.online_journeys", "--database-url", database_url, "--home", home]
    workers = [
        subprocess.Popen(
            [*command, "--stream", slug, "--count", str(count), "--first", str(100000 * (n + 1))],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(processes)
    ]
    for worker in workers:  # every one set up and warm before any starts
        assert worker.stdout is not None
        while (line := worker.stdout.readline()) and line.strip() != "ready":
            pass
        if not line:
            raise RuntimeError(f"a stream of '{slug}' journeys stopped before it was ready")
    before = Report.objects.count()
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    found = []
    for worker in workers:
        out, _ = worker.communicate(timeout=3600)
        if worker.returncode:
            raise RuntimeError(f"a stream of '{slug}' journeys failed (exit {worker.returncode})")
        found.append(json.loads(out.strip().splitlines()[-1]))
    assert Report.objects.count() - before == count * processes  # every journey really made a report
    wall = max(f["ended"] for f in found) - min(f["started"] for f in found)
    latencies = [ms for f in found for ms in f["latencies"]]
    return {
        "processes": processes,
        "rate": count * processes / wall,
        "per_process": [f["rate"] for f in found],
        "p99_ms": _p99(latencies),
    }


GOAL = 100  # completed journeys per second (issue 7)


def measure(database_url: str, processes: int) -> list[dict[str, Any]]:
    """Every figure for one database: one stream, then ``processes`` at once (none if < 2)."""
    home = setup(database_url or None)
    rows = _one_stream()
    if processes >= 2:
        for row in rows:
            row["parallel"] = _parallel(database_url, home, row["journey"], row["count"], processes)
    return rows


def fresh_postgres_database(url: str, name: str = "bluelamp_bench_online") -> str | None:
    """A new empty database next to the one in ``url`` (its own name: other benchmarks may run
    at the same time), or None if PostgreSQL cannot be reached."""
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {name}")
    except psycopg.OperationalError:
        return None
    return url.rsplit("/", 1)[0] + "/" + name


def section() -> str:
    """A Markdown section for benchmarks/run.py: SQLite and PostgreSQL, each in a fresh process
    (Django is set up once per process). PostgreSQL: BLUELAMP_BENCH_DATABASE_URL as for the HTTP
    benchmark; not measured when unreachable."""
    postgres_url = os.environ.get("BLUELAMP_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    processes = os.cpu_count() or 1
    lines = [
        "",
        "## Online report journeys through the real views (Django test client)",
        "",
        f"Goal: at least {GOAL} completed journeys/s. A journey is every page a person opens and sends,",
        "from the danger check to the confirmation. One stream: one journey at a time in one process.",
        f"{processes} streams: {processes} processes at once on the same database (one per core), their",
        "journeys added up over the wall time. Baseline: GET /healthz on one stream's client.",
        "",
        f"| database | journey | requests each | queries each | journeys/s, one stream | page p99 ms "
        f"| journeys/s, {processes} streams | page p99 ms, {processes} streams | /healthz per s | goal met |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for label, url in (("SQLite", ""), ("PostgreSQL", fresh_postgres_database(postgres_url))):
        if url is None:
            lines.append(f"| PostgreSQL at {postgres_url} unreachable: not measured | | | | | | | | | no |")
            continue
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.online_journeys", "--json", "--database-url", url,
             "--processes", str(processes)],
            cwd=ROOT, capture_output=True, text=True, check=True, timeout=3600,
        )  # fmt: skip
        for row in json.loads(done.stdout.strip().splitlines()[-1]):
            parallel = row.get("parallel")
            rate, p99 = (f"{parallel['rate']:,.1f}", f"{parallel['p99_ms']:,.1f}") if parallel else ("-", "-")
            best = max(row["rate"], parallel["rate"] if parallel else 0)
            lines.append(
                f"| {label} | {row['journey']} | {row['requests']} | {row['queries']} | {row['rate']:,.1f} "
                f"| {row['p99_ms']:,.1f} | {rate} | {p99} | {row['baseline_rate']:,.0f} "
                f"| {'yes' if best >= GOAL else 'no'} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--processes", type=int, default=2, help="Streams at once for the second figure (1: none).")
    parser.add_argument("--json", action="store_true", help="One JSON line of figures (for section()).")
    parser.add_argument("--home", help=argparse.SUPPRESS)  # a parallel stream: the run's BLUELAMP_HOME
    parser.add_argument("--stream", help=argparse.SUPPRESS)  # … the journey it walks
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stream:
        setup(args.database_url or None, args.home, migrate=False)
        _stream(args.stream, args.count, args.first)
        return
    rows = measure(args.database_url, args.processes)
    if args.json:
        print(json.dumps(rows))
        return
    label = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
    for row in rows:
        print(
            f"online '{row['journey']}' journey ({label}; {row['requests']} requests, {row['queries']} queries each): "
            f"one stream {row['rate']:,.1f} journeys/s, page p99 {row['p99_ms']:,.1f} ms "
            f"(GET /healthz: {row['baseline_rate']:,.0f}/s, p99 {row['baseline_p99_ms']:,.2f} ms)"
        )
        parallel = row.get("parallel")
        if parallel:
            each = ", ".join(f"{rate:,.1f}" for rate in parallel["per_process"])
            print(
                f"    {parallel['processes']} streams at once: {parallel['rate']:,.1f} journeys/s over the wall time "
                f"(each stream {each}/s), page p99 {parallel['p99_ms']:,.1f} ms"
            )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
