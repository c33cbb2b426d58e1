"""Incident creation over real HTTP against uvicorn serving bluelamp in other processes, on
SQLite (one worker: SQLite is for one process) and on PostgreSQL (two workers): incidents made in one
request (``POST /api/v1/control/incidents``), flat out with a fixed number in flight (the most
the server can do) and at the goal's rate offered whatever the server does (open loop, as calls
arrive: the test of "so many per second within so many milliseconds"); and the call-taking
screen's two requests (a 999 call, then the incident). Baseline in the same run: GET /healthz,
the cheapest request that still reaches the database, on the same server with the same client.
Alone: ``python -m benchmarks.http_incidents`` (``OPEN_LOOP_SECONDS`` in the environment to
change how long the goal's rate is offered)."""

from __future__ import annotations

import asyncio
import gc
import math
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parents[1]
CONCURRENCY = 16
# The open loop's connections: as many as two workers have request threads.
OPEN_LOOP_CONNECTIONS = 32
# Long enough to see whether the server keeps up; a longer queue only waits longer.
OPEN_LOOP_SECONDS = int(os.environ.get("OPEN_LOOP_SECONDS") or 10)
# The search for the highest rate kept within the goal's p99: steps of 10/s, 4 s each.
CAPACITY_STEP = 10
CAPACITY_STEP_SECONDS = 4
# One request (or several) made with the client for the operation numbered by the int.
Operation = Callable[[aiohttp.ClientSession, int], Awaitable[None]]
# Run by `bluelamp shell -c` in the served home: the token is the last line printed.
SETUP = f"import sys; sys.path.insert(0, {str(ROOT)!r}); from benchmarks import http_incidents as b\n"
SETUP += "print(b.call_handler_token())"


def call_handler_token() -> str:
    """A call handler's API token in the Met (roles seeded), made in the current database."""
    from bluelamp.core import services, tokens
    from bluelamp.core.models import Force, Role, User

    met = Force.objects.get(code="met")
    services.seed_roles(force=met)
    admin = User.objects.create_superuser(username="bench-admin", password=None, force=met)
    permissions = list(Role.objects.get(force=met, code="call_handler").permissions.all())
    return tokens.create_api_token(actor=admin, force=met, name="benchmark", permissions=permissions).secret


@dataclass
class Measured:
    what: str
    operations: int
    seconds: float
    latencies_ms: list[float]
    failed: int = 0  # requests that got no answer (the open loop's), left out of the rate
    machine_cpu_seconds: float = 0.0  # every process on the machine: servers, database, this client
    client_cpu_seconds: float = 0.0  # this load generator alone
    judged: bool = False  # the run the goal is judged on

    @property
    def rate(self) -> float:
        return self.operations / self.seconds

    @property
    def p99(self) -> float:
        return statistics.quantiles(self.latencies_ms, n=100)[98]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    def meets(self, rate: float, p99_ms: float) -> bool:
        """Whether this open-loop run kept up with ``rate`` offered (within 2%, nothing failed)
        and answered 99% of requests within ``p99_ms``."""
        return self.rate >= rate * 0.98 and not self.failed and self.p99 <= p99_ms

    @property
    def cpu_ms_each(self) -> float:
        """CPU time the whole machine spent on each operation answered (NaN off Linux)."""
        return self.machine_cpu_seconds * 1000 / self.operations

    @property
    def client_cpu_ms_each(self) -> float:
        return self.client_cpu_seconds * 1000 / self.operations


T = TypeVar("T")


def _machine_cpu_seconds() -> float:
    """CPU time used so far by every process on this machine (Linux's /proc/stat; NaN elsewhere)."""
    try:
        first_line = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return math.nan
    user, nice, system, _idle, _iowait, irq, softirq = (int(ticks) for ticks in first_line[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def with_cpu(run: Callable[[], T]) -> tuple[T, dict[str, float]]:
    """``run()``'s result and the CPU seconds it took, as :class:`Measured` takes them: the
    machine's (server, database and client together: what a goal on this machine's cores has to
    fit in) and this process's own. The load generator's garbage collector waits until the run
    is over (as ``timeit`` does): its pauses would stop every request in flight and be counted as
    the server's latency."""
    machine, client = _machine_cpu_seconds(), time.process_time()
    gc.disable()
    try:
        result = run()
    finally:
        gc.enable()
    used = {"machine_cpu_seconds": _machine_cpu_seconds() - machine, "client_cpu_seconds": time.process_time() - client}
    gc.collect()
    return result, used


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
    """A port free now: in ``BENCH_PORTS`` (e.g. ``8100-8199``) when set, else any the system gives."""
    low, _, high = os.environ.get("BENCH_PORTS", "0-0").partition("-")
    for port in range(int(low), int(high or low) + 1):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise OSError(f"No free port in BENCH_PORTS={os.environ['BENCH_PORTS']}.")


@contextmanager
def bench_home(prefix: str, database_url: str | None) -> Iterator[tuple[Path, dict[str, str]]]:
    """A new BLUELAMP_HOME (its SQLite database, its server's log) and the environment that uses
    it. Removed afterwards; kept, and named, when the run fails, for its server.log."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    (home / "build").symlink_to(ROOT / "build")
    try:
        yield home, _environment(home, database_url)
    except BaseException:
        print(f"benchmark failed: its home is kept in {home}", file=sys.stderr)
        raise
    shutil.rmtree(home, ignore_errors=True)


@contextmanager
def served(database_url: str | None, workers: int = 1) -> Iterator[tuple[str, str]]:
    """A prepared bluelamp (migrated, London loaded, a call-handler token) served by uvicorn."""
    with (
        bench_home("bluelamp-http-bench-", database_url) as (home, env),
        serving(home, env, SETUP, workers=workers, geography=True) as (base, token),
    ):
        yield base, token


@contextmanager
def serving(
    home: Path, env: dict[str, str], setup: str, *, workers: int = 1, geography: bool = False
) -> Iterator[tuple[str, str]]:
    """Migrate ``home``'s database (and load London's geography), run the ``setup`` script, which
    prints an API token last, and serve the platform with ``bluelamp serve`` until the block ends.
    Yields the base URL and the token."""
    _bluelamp(env, "migrate", "--verbosity", "0")
    if geography:
        _bluelamp(env, "load-geography")
    token = _bluelamp(env, "shell", "-c", setup).strip().splitlines()[-1]
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bluelamp", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(home / "server.log").open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base, token
    finally:
        server.terminate()
        server.wait(timeout=20)


def client_session(base: str, token: str, connections: int, timeout_s: float) -> aiohttp.ClientSession:
    """The load generator's HTTP client: aiohttp, whose parser is compiled. The load generator
    shares the machine's two cores with the server it measures, so what it costs is taken from
    the server: httpx took 1.3-1.6 ms of CPU per request, aiohttp 0.15-0.3 ms (GET /healthz
    answered 630/s with httpx, 1,200-2,000/s with aiohttp, same server, same run)."""
    return aiohttp.ClientSession(
        base_url=base,
        headers={"Authorization": f"Bearer {token}"},
        connector=aiohttp.TCPConnector(limit=connections),
        timeout=aiohttp.ClientTimeout(total=timeout_s),
    )


async def send(client: aiohttp.ClientSession, method: str, path: str, body: object = None) -> Any:
    """One request, its whole answer read; its JSON (or None), or ClientResponseError if refused."""
    async with client.request(method, path, json=body) as response:
        response.raise_for_status()
        return await response.json() if response.content_type == "application/json" else await response.read()


async def _run(operations: int, operation: Operation, base: str, token: str) -> tuple[float, list[float]]:
    latencies: list[float] = []
    async with client_session(base, token, CONCURRENCY, timeout_s=30) as client:
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


Call = tuple[tuple[float, float], str, str, list[str]]


def _call_body(call: Call) -> dict[str, object]:
    """What ``POST /contacts`` and ``POST /incidents`` are sent for one of :func:`_calls`."""
    (lat, lon), address, category, qualifiers = call
    return {
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


def _calls(count: int) -> list[Call]:
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


def _open_loop(
    rate: float, operations: int, operation: Operation, base: str, token: str
) -> tuple[float, list[float], int]:
    """Start one operation every 1/rate seconds whatever the server is doing, as calls arrive in a
    control room, and time each from when it was due (so waiting for a connection counts). A
    server that cannot keep up builds a queue, and some requests may fail: they are counted, not
    hidden, and left out of the rate. Its connections are opened before the clock starts, as the
    screens and systems of a control room keep theirs open: opening 32 at once made the first
    half-second of every run its slowest (140-190 ms), enough to decide a 5-second run's p99."""

    async def run() -> tuple[float, list[float], int]:
        latencies: list[float] = []
        failed = 0
        # One coroutine hands each operation over when it falls due; a fixed set of senders, one
        # per connection, takes them in turn. Operations due while every sender is busy wait in
        # the queue, which costs the client nothing per waiting operation (a connection pool's
        # queue, or a semaphore with hundreds of waiters, took most of a core from the server).
        due_now: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
        async with client_session(base, token, OPEN_LOOP_CONNECTIONS, timeout_s=120) as client:
            await asyncio.gather(*(send(client, "GET", "/healthz") for _ in range(OPEN_LOOP_CONNECTIONS)))
            begun = time.perf_counter()

            async def hand_over() -> None:
                for number in range(operations):
                    due = begun + number / rate
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                    due_now.put_nowait((number, due))
                for _ in range(OPEN_LOOP_CONNECTIONS):
                    due_now.put_nowait(None)  # no more: each sender stops

            async def take_in_turn() -> None:
                nonlocal failed
                while (job := await due_now.get()) is not None:
                    number, due = job
                    try:
                        await operation(client, number)
                    except (aiohttp.ClientError, TimeoutError):
                        failed += 1
                        continue
                    latencies.append((time.perf_counter() - due) * 1000)

            await asyncio.gather(hand_over(), *(take_in_turn() for _ in range(OPEN_LOOP_CONNECTIONS)))
            return time.perf_counter() - begun, latencies, failed

    return asyncio.run(run())


def _highest_rate_kept(
    goal_rate: float, goal_p99_ms: float, offset: Callable[[int], Operation], base: str, token: str, where: str
) -> Measured | None:
    """The highest of 10, 20, 30 … incidents/s (below the goal's rate), each offered for
    ``CAPACITY_STEP_SECONDS``, that the server kept up with within the goal's p99: how far it is
    from the goal, in the goal's own terms. None if it kept up with none."""
    kept, first, rate = None, 0, CAPACITY_STEP
    while rate < goal_rate:
        count = CAPACITY_STEP_SECONDS * rate
        (seconds, latencies, failed), cpu = with_cpu(partial(_open_loop, rate, count, offset(first), base, token))
        what = (
            f"highest rate kept with p99 at most {goal_p99_ms:.0f} ms: {rate}/s offered for {CAPACITY_STEP_SECONDS} s"
        )
        step = Measured(f"{what} ({where})", len(latencies), seconds, latencies, failed, **cpu)
        if not step.meets(rate, goal_p99_ms):
            break
        kept, first, rate = step, first + count, rate + CAPACITY_STEP
    return kept


def measure(
    database: str, database_url: str | None, operations: int, workers: int, goal_rate: float, goal_p99_ms: float
) -> list[Measured]:
    """Incidents made in one request (POST /incidents), flat out, at the goal's rate and at the
    highest rate kept within the goal's p99; the two-request flow of the call-taking screen; and
    the /healthz baseline."""
    # Each run its own calls: flat out from 0, the goal's rate from operations, the two-request flow
    # from 3 * operations, the warm-up from 4 * operations, the search for the highest rate after it.
    searched = 4 * operations + 100
    calls = _calls(searched + CAPACITY_STEP_SECONDS * sum(range(CAPACITY_STEP, int(goal_rate), CAPACITY_STEP)))

    def call(number: int) -> dict[str, object]:
        return _call_body(calls[number])

    def offset(by: int) -> Operation:
        async def make_incident(client: aiohttp.ClientSession, number: int) -> None:
            await send(client, "POST", "/api/v1/control/incidents", call(by + number))

        return make_incident

    async def take_call_then_make_incident(client: aiohttp.ClientSession, number: int) -> None:
        contact = await send(client, "POST", "/api/v1/control/contacts", call(3 * operations + number))
        await send(client, "POST", f"/api/v1/control/contacts/{contact['id']}/incident", {})

    async def health(client: aiohttp.ClientSession, number: int) -> None:
        await send(client, "GET", "/healthz")

    where = f"{database}, {workers} worker{'s' if workers > 1 else ''}"
    with served(database_url, workers) as (base, token):

        def in_flight(what: str, count: int, operation: Operation) -> Measured:
            (seconds, latencies), cpu = with_cpu(lambda: asyncio.run(_run(count, operation, base, token)))
            return Measured(f"{what} ({where})", count, seconds, latencies, **cpu)

        asyncio.run(_run(100, offset(4 * operations), base, token))  # warm up connections and caches
        flat_out = in_flight(f"incident in one request, {CONCURRENCY} in flight", operations, offset(0))
        (seconds, latencies, failed), open_loop_cpu = with_cpu(
            lambda: _open_loop(goal_rate, OPEN_LOOP_SECONDS * int(goal_rate), offset(operations), base, token)
        )
        kept = _highest_rate_kept(goal_rate, goal_p99_ms, lambda first: offset(searched + first), base, token, where)
        two_step = in_flight("999 call, then incident: two requests", operations // 2, take_call_then_make_incident)
        baseline = in_flight(f"GET /healthz, {CONCURRENCY} in flight", operations, health)
    goal = Measured(
        f"incident in one request, {goal_rate:.0f}/s offered for {OPEN_LOOP_SECONDS} s ({where})"
        + (f"; {failed} failed" if failed else ""),
        len(latencies),
        seconds,
        latencies,
        failed,
        **open_loop_cpu,
        judged=True,
    )
    return [flat_out, goal, *([kept] if kept else []), two_step, baseline]


def statements_per_incident() -> int:
    """The SQL statements of one ``POST /incidents`` (token lookup included), made through
    Django's test client in this process (Django set up, London loaded) and rolled back: a
    figure the machine's speed does not change, to compare runs by."""
    from django.test import Client

    from bluelamp.core import selectors as core_selectors
    from bluelamp.core.models import Force

    first, second = _calls(2)  # two places: the second is new to POLE, as most are
    with _rolled_back() as capture:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {call_handler_token()}")
        # The first incident of the day makes the day's CAD counter: measure the usual case after it.
        client.post("/api/v1/control/incidents", _call_body(first), content_type="application/json")
        core_selectors.borough_at(Force.objects.get(code="met"), *second[0])  # kept per process once read
        with capture() as statements:
            made = client.post("/api/v1/control/incidents", _call_body(second), content_type="application/json")
        assert made.status_code == 201, made.content
    return len(statements.captured_queries)


@contextmanager
def _rolled_back() -> Iterator[Callable[[], Any]]:
    """A transaction rolled back at the end; yields a way to capture the statements within it."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    with transaction.atomic():
        yield partial(CaptureQueriesContext, connection)
        transaction.set_rollback(True)


def fresh_postgres_database(url: str) -> str | None:
    """A new empty database next to the one in ``url``, or None if PostgreSQL cannot be reached."""
    import psycopg

    name = url.rsplit("/", 1)[1] + "_http_bench"  # next to the given database, named after it
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {name}")
    except psycopg.OperationalError:
        return None
    return url.rsplit("/", 1)[0] + "/" + name


if __name__ == "__main__":  # this section of `make bench` alone: python -m benchmarks.http_incidents
    from benchmarks import run

    run.setup_django()
    from bluelamp.core import services

    services.load_geography()  # for the statement count, made in this process
    print(run.http_section())
