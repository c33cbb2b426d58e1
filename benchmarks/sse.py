"""Time for a change to reach 100 control-room screens over server-sent events.

uvicorn serves bluelamp in another process; 100 httpx clients (one asyncio loop in this
process) hold ``/control/live`` open, signed in as a dispatcher; this process then makes N
changes through the API (a 101 contact each, one at a time with a pause between) and notes, for
every client, when the notice naming that contact arrived. Latency = arrival - the moment just
before the API request was sent, so it includes the request itself (commit, then the notice).

Scenarios, in the same run:
* baseline: the same changes reaching a single client;
* 100 clients on one worker (the in-memory broadcaster);
* 100 clients on a second worker, the changes made through the first: the notice crosses the
  live bridge (Redis pub/sub when Redis answers at BENCH_REDIS_URL, default
  redis://127.0.0.1:6379/15; skipped otherwise).

Goal (issue 4): p99 ≤ 1 s for 100 clients. Run: ``python -m benchmarks.sse`` (or from run.py
through :func:`measure`)."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.http_incidents import _bluelamp, _free_port, bench_home

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = 100
# The live bridge's channel: named apart from any other run on the same Redis or PostgreSQL.
CHANNEL_PREFIX = os.environ.get("BENCH_CHANNEL_PREFIX", "bluelamp_bench")
CHANGES = 40
PAUSE_SECONDS = 0.15
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
SETUP = """
from django.contrib.auth.models import Permission
from django.test import Client
from bluelamp.core import services, tokens
from bluelamp.core.models import Force, Role, User
met = Force.objects.get(code="met")
services.seed_roles(force=met)
admin = User.objects.create_superuser(username="bench-admin", password=None, force=met)
screen = User.objects.create_user(username="bench-dispatcher", force=met)
Role.objects.get(force=met, code="dispatcher").members.add(screen)
perms = list(Role.objects.get(force=met, code="call_handler").permissions.all())
secret = tokens.create_api_token(actor=admin, force=met, name="sse benchmark", permissions=perms).secret
client = Client()
client.force_login(screen)
print(secret, client.cookies["sessionid"].value)
"""


@dataclass
class Measured:
    what: str
    clients: int
    changes: int
    latencies_ms: list[float]  # one per (change, client) received
    missing: int  # notices that never arrived

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p99(self) -> float:
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[98]

    @property
    def worst(self) -> float:
        return max(self.latencies_ms)


@contextmanager
def prepared(database_url: str | None = None) -> Iterator[tuple[dict[str, str], str, str]]:
    """A migrated bluelamp home (SQLite, or ``database_url``) with London, an API token and a
    signed-in session."""
    with bench_home("bluelamp-sse-bench-", database_url) as (_, env):
        _bluelamp(env, "migrate", "--verbosity", "0")
        _bluelamp(env, "load-geography")
        token, session = _bluelamp(env, "shell", "-c", SETUP).strip().splitlines()[-1].split()
        yield env, token, session


@contextmanager
def server(env: dict[str, str], **extra: str) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bluelamp.asgi:application", "--port", str(port), "--log-level", "warning"],
        env=env | extra,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


async def _screen(
    base: str, session: str, ready: asyncio.Event, arrivals: dict[int, float], stop: asyncio.Event, opened: list[int]
) -> None:
    async with (
        httpx.AsyncClient(
            base_url=base, cookies={"sessionid": session}, timeout=httpx.Timeout(30, read=None)
        ) as client,
        client.stream("GET", "/control/live") as response,
    ):
        response.raise_for_status()
        async for line in response.aiter_lines():
            if line.startswith(": connected"):
                opened.append(1)
                ready.set()
            elif line.startswith("data: "):
                found = json.loads(line[6:])
                if found.get("topic") == "control.contact.received" and "contact_id" in found:
                    arrivals.setdefault(found["contact_id"], time.perf_counter())
            if stop.is_set():
                return


async def _scenario(read_base: str, write_base: str, token: str, session: str, clients: int) -> tuple[list[float], int]:
    stop = asyncio.Event()
    opened: list[int] = []
    arrivals: list[dict[int, float]] = [{} for _ in range(clients)]
    readies = [asyncio.Event() for _ in range(clients)]
    tasks = [
        asyncio.create_task(_screen(read_base, session, readies[n], arrivals[n], stop, opened)) for n in range(clients)
    ]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=60)
    sent: dict[int, float] = {}
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=write_base, headers=headers, timeout=30) as writer:
        for number in range(CHANGES):
            before = time.perf_counter()
            answer = await writer.post(
                "/api/v1/control/contacts",
                json={
                    "channel": "101",
                    "address": "Trafalgar Square",
                    "description": f"Benchmark change {number}",
                    "source_reference": uuid.uuid4().hex,
                },
            )
            if answer.status_code != 201:
                raise RuntimeError(f"the API refused a change: {answer.status_code} {answer.text}")
            sent[answer.json()["id"]] = before
            await asyncio.sleep(PAUSE_SECONDS)
    await asyncio.sleep(1.0)  # stragglers
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies, missing = [], 0
    for received in arrivals:
        for contact_id, at in sent.items():
            if contact_id in received:
                latencies.append((received[contact_id] - at) * 1000)
            else:
                missing += 1
    return latencies, missing


def _redis_answers() -> bool:
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.ping()
        client.close()
    except Exception:  # any failure means: no Redis scenario
        return False
    return True


def measure(clients: int = CLIENTS, postgres_url: str | None = None) -> list[Measured]:
    """The scenarios above; with ``postgres_url`` (an empty database) also 100 clients across
    two workers bridged by PostgreSQL LISTEN/NOTIFY."""
    results: list[Measured] = []
    with prepared() as (env, token, session):
        with server(env, BLUELAMP_LIVE_BRIDGE="memory") as base:
            for count, what in ((1, "1 client, one worker (baseline)"), (clients, f"{clients} clients, one worker")):
                latencies, missing = asyncio.run(_scenario(base, base, token, session, count))
                results.append(Measured(what, count, CHANGES, latencies, missing))
        if _redis_answers():
            channel = f"{CHANNEL_PREFIX}_{uuid.uuid4().hex[:8]}"
            bridged = {"BLUELAMP_LIVE_BRIDGE": "redis", "REDIS_URL": REDIS_URL, "BLUELAMP_LIVE_CHANNEL": channel}
            with server(env, **bridged) as writer, server(env, **bridged) as reader:
                latencies, missing = asyncio.run(_scenario(reader, writer, token, session, clients))
                results.append(
                    Measured(
                        f"{clients} clients on worker B, changes via worker A (Redis bridge)",
                        clients,
                        CHANGES,
                        latencies,
                        missing,
                    )
                )
        if postgres_url:
            with prepared(postgres_url) as (pg_env, pg_token, pg_session):
                channel = f"{CHANNEL_PREFIX}_{uuid.uuid4().hex[:8]}"
                bridged = {"BLUELAMP_LIVE_BRIDGE": "postgres", "BLUELAMP_LIVE_CHANNEL": channel}
                with server(pg_env, **bridged) as writer, server(pg_env, **bridged) as reader:
                    latencies, missing = asyncio.run(_scenario(reader, writer, pg_token, pg_session, clients))
                    results.append(
                        Measured(
                            f"{clients} clients on worker B, changes via worker A (PostgreSQL bridge)",
                            clients,
                            CHANGES,
                            latencies,
                            missing,
                        )
                    )
    return results


def report(results: list[Measured]) -> str:
    lines = [
        "| scenario | notices received | missing | p50 ms | p99 ms | worst ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r.what} | {len(r.latencies_ms)} | {r.missing} | {r.p50:.1f} | {r.p99:.1f} | {r.worst:.1f} |")
    return "\n".join(lines)


def fresh_database(url: str) -> str | None:
    """A new empty database next to the one in ``url``, named after it; None if PostgreSQL cannot
    be reached."""
    import psycopg

    name = url.rsplit("/", 1)[1] + "_sse_bench"
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {name}")
    except psycopg.OperationalError:
        return None
    return url.rsplit("/", 1)[0] + "/" + name


if __name__ == "__main__":
    url = os.environ.get("BLUELAMP_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    print(report(measure(postgres_url=fresh_database(url))))
