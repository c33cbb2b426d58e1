"""Incident creation over real HTTP: a 999 call taken and turned into an incident through the
API (two requests), against uvicorn serving bluelamp in another process, on SQLite and on
PostgreSQL. Baseline in the same run: GET /healthz, the cheapest request that still reaches the
database, measured on the same server with the same client."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CONCURRENCY = 16
SETUP = """
from django.contrib.auth.models import Permission
from bluelamp.core import services, tokens
from bluelamp.core.models import Force, Role, User
met = Force.objects.get(code="met")
services.seed_roles(force=met)
admin = User.objects.create_superuser(username="bench-admin", password=None, force=met)
perms = list(Role.objects.get(force=met, code="call_handler").permissions.all())
print(tokens.create_api_token(actor=admin, force=met, name="benchmark", permissions=perms).secret)
"""


@dataclass
class Measured:
    what: str
    operations: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.operations / self.seconds

    @property
    def p99(self) -> float:
        return statistics.quantiles(self.latencies_ms, n=100)[98]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)


def _environment(home: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "BLUELAMP_ENV", "DJANGO_SETTINGS_MODULE"}}
    env.update({"BLUELAMP_HOME": str(home), "BLUELAMP_ENV": "development", "BLUELAMP_DEBUG": "false"})
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _bluelamp(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bluelamp", *args], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(database_url: str | None) -> Iterator[tuple[str, str]]:
    """A prepared bluelamp (migrated, London loaded, a call-handler token) served by uvicorn."""
    home = Path(tempfile.mkdtemp(prefix="bluelamp-http-bench-"))
    (home / "build").symlink_to(ROOT / "build")
    env = _environment(home, database_url)
    _bluelamp(env, "migrate", "--verbosity", "0")
    _bluelamp(env, "load-geography")
    token = _bluelamp(env, "shell", "-c", SETUP).strip().splitlines()[-1]
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bluelamp", "serve", "--port", str(port), "--workers", os.environ.get("BENCH_WORKERS", "1")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(home / "server.log").open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base, token
    finally:
        server.terminate()
        server.wait(timeout=20)


async def _run(
    operations: int, operation: Callable[[httpx.AsyncClient, int], Awaitable[None]], base: str, token: str
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as client:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for number in range(operations):
            queue.put_nowait(number)

        async def worker() -> None:
            while not queue.empty():
                number = queue.get_nowait()
                started = time.perf_counter()
                await operation(client, number)
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return time.perf_counter() - started, latencies


def _calls(count: int) -> list[tuple[tuple[float, float], str, str, list[str]]]:
    """The demo generator's calls: real places of crime in the Met and the scenario's mix of
    categories (bluelamp.demo), so that the benchmark loads the platform as London would."""
    from bluelamp.demo import scenario

    rng = random.Random(4711)
    points, mix = scenario.crime_points(), scenario.spec()["calls"]["mix"]
    weights = [item["weight"] for item in mix]
    calls = []
    for _ in range(count):
        point, item = rng.choice(points), rng.choices(mix, weights=weights)[0]
        calls.append(((point.lat, point.lon), point.location, item["category"], item.get("qualifiers", [])))
    return calls


def measure(database: str, database_url: str | None, operations: int) -> list[Measured]:
    calls = _calls(operations)

    async def take_call_and_make_incident(client: httpx.AsyncClient, number: int) -> None:
        (lat, lon), address, category, qualifiers = calls[number]
        call = {
            "channel": "999",
            "caller_name": "Bench Caller",
            "caller_phone": "07700 900000",
            "address": address,
            "lat": lat,
            "lon": lon,
            "description": "Caller reports an incident (benchmark)",
            "category": category,
            "qualifiers": qualifiers,
        }
        if os.environ.get("BENCH_ONE"):
            (await client.post("/api/v1/control/incidents", json=call)).raise_for_status()
            return
        contact = await client.post("/api/v1/control/contacts", json=call)
        contact.raise_for_status()
        incident = await client.post(f"/api/v1/control/contacts/{contact.json()['id']}/incident", json={})
        incident.raise_for_status()

    async def health(client: httpx.AsyncClient, number: int) -> None:
        (await client.get("/healthz")).raise_for_status()

    with served(database_url) as (base, token):
        asyncio.run(_run(50, take_call_and_make_incident, base, token))  # warm up
        seconds, latencies = asyncio.run(_run(operations, take_call_and_make_incident, base, token))
        baseline_seconds, baseline_latencies = asyncio.run(_run(operations, health, base, token))
    return [
        Measured(f"999 call -> incident over HTTP ({database})", operations, seconds, latencies),
        Measured(f"GET /healthz over HTTP ({database})", operations, baseline_seconds, baseline_latencies),
    ]


def fresh_postgres_database(url: str) -> str | None:
    """A new empty database next to the one in ``url``, or None if PostgreSQL cannot be reached."""
    import psycopg

    name = "bluelamp_bench"
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {name}")
    except psycopg.OperationalError:
        return None
    return url.rsplit("/", 1)[0] + "/" + name
