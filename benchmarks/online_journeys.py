"""Completed online report journeys per second, through the real views (Django's test client
in this process: middleware, sessions, CSRF-free forms, templates, database), with the p99
latency of a page. Baseline in the same run: GET /healthz on the same client.

A journey is what a person does: the danger check, then for each question GET the page and
POST the answer, then GET 'Check your answers' and POST it, then GET the confirmation. Each
journey comes from its own IP address (as the public do), so the per-address rate limit holds.

Run alone: ``python -m benchmarks.online_journeys [--database-url postgresql://…]``."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
JOURNEYS = {"lost-found": 200, "crime": 60}


def setup(database_url: str | None = None) -> None:
    """A fresh BLUELAMP_HOME (and database) with the London forces taking reports."""
    home = tempfile.mkdtemp(prefix="bluelamp-bench-online-")
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
    call_command("migrate", verbosity=0)
    from bluelamp.core.services import load_geography
    from bluelamp.online.demo import seed_demo

    load_geography()
    seed_demo()


def _journey(client: Any, slug: str, latencies: list[float]) -> None:
    from bluelamp.online.samples import walk_journey

    def timed(method: str, url: str, data: Any = None) -> Any:
        before = time.perf_counter_ns()
        response = client.get(url) if method == "get" else client.post(url, data or {})
        latencies.append((time.perf_counter_ns() - before) / 1e6)
        return response

    walk_journey(client, "/sites/met/report/", slug, timed=timed)


def _measure_journeys(slug: str, count: int) -> tuple[float, float, int]:
    from django.test import Client

    latencies: list[float] = []
    client = Client()  # one handler (a new Client builds the middleware again: WhiteNoise rescans)
    start = time.perf_counter()
    for number in range(count):
        client.cookies.clear()  # a new person: no session, no CSRF cookie
        client.defaults["REMOTE_ADDR"] = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"
        _journey(client, slug, latencies)
    elapsed = time.perf_counter() - start
    return count / elapsed, statistics.quantiles(latencies, n=100)[98], len(latencies)


def _measure_healthz(count: int) -> tuple[float, float]:
    from django.test import Client

    client = Client()
    latencies = []
    start = time.perf_counter()
    for _ in range(count):
        before = time.perf_counter_ns()
        assert client.get("/healthz").status_code == 200
        latencies.append((time.perf_counter_ns() - before) / 1e6)
    return count / (time.perf_counter() - start), statistics.quantiles(latencies, n=100)[98]


def run(database_label: str = "SQLite") -> list[Any]:
    """The figures as benchmarks.run.Result rows (rates per second, p99 in microseconds).
    Call after Django is set up on the database to measure (see :func:`setup`)."""
    from benchmarks.run import Result
    from bluelamp.online.models import Report

    results = []
    for slug in JOURNEYS:  # warm up: templates compiled, the area index built, the catalogue read
        _measure_journeys(slug, 3)
    healthz_rate, healthz_p99 = _measure_healthz(2000)
    for slug, count in JOURNEYS.items():
        before = Report.objects.count()
        rate, p99_ms, pages = _measure_journeys(slug, count)
        assert Report.objects.count() - before == count  # every journey really made a report
        results.append(
            Result(
                f"online '{slug}' journey, completed ({database_label}; {pages // count} requests each)",
                "danger check → questions → check answers → confirmation",
                "GET /healthz (requests/s)",
                rate,
                healthz_rate,
                p99_ms * 1000,
                healthz_p99 * 1000,
                count,
            )
        )
    return results


GOAL = 100  # completed journeys per second (issue 7)


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
    import json
    import subprocess

    postgres_url = os.environ.get("BLUELAMP_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    lines = [
        "",
        "## Online report journeys through the real views (Django test client, one at a time)",
        "",
        f"Goal: at least {GOAL} completed journeys/s. A journey is every page a person opens and sends,",
        "from the danger check to the confirmation. Baseline: GET /healthz on the same client.",
        "",
        "| database | journey | requests each | journeys/s | page p99 ms | /healthz per s | /healthz p99 ms "
        "| goal met |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for label, url in (("SQLite", ""), ("PostgreSQL", fresh_postgres_database(postgres_url))):
        if url is None:
            lines.append(f"| PostgreSQL at {postgres_url} unreachable: not measured | | | | | | | no |")
            continue
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.online_journeys", "--json", "--database-url", url],
            cwd=ROOT, capture_output=True, text=True, check=True, timeout=3600,
        )  # fmt: skip
        for row in json.loads(done.stdout.strip().splitlines()[-1]):
            met = "yes" if row["rate"] >= GOAL else "no"
            lines.append(
                f"| {label} | {row['journey']} | {row['requests']} | {row['rate']:,.1f} | {row['p99_ms']:,.1f} "
                f"| {row['baseline_rate']:,.0f} | {row['baseline_p99_ms']:,.1f} | {met} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    import json

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--json", action="store_true", help="One JSON line of figures (for section()).")
    args = parser.parse_args()
    setup(args.database_url or None)
    label = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
    results = run(label)
    if args.json:
        rows = [
            {
                "journey": r.name.split("'")[1],
                "requests": int(r.name.split("; ")[1].split()[0]),
                "rate": r.candidate_rate,
                "p99_ms": r.candidate_p99_us / 1000,
                "baseline_rate": r.baseline_rate,
                "baseline_p99_ms": r.baseline_p99_us / 1000,
            }
            for r in results
        ]
        print(json.dumps(rows))
        return
    for r in results:
        print(
            f"{r.name}: {r.candidate_rate:,.1f} journeys/s, page p99 {r.candidate_p99_us / 1000:,.1f} ms "
            f"(baseline {r.baseline}: {r.baseline_rate:,.0f}/s, p99 {r.baseline_p99_us / 1000:,.2f} ms)"
        )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
