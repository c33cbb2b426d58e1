"""The live bridge between workers: a notice sent by one process reaches the screens of
another (Redis pub/sub, PostgreSQL LISTEN/NOTIFY), never twice in the sender's own process.

The two-server tests start two uvicorn processes on different ports against the same
PostgreSQL database, make a change through the API of one, and read it from an SSE stream
served by the other. They need PostgreSQL (an in-memory SQLite test database cannot be shared
between processes) and, for Redis, the server at BLUELAMP_TEST_REDIS_URL (127.0.0.1:6379)."""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client

from bluelamp.core import live, tokens
from bluelamp.core import live_bridge as bridge
from bluelamp.core.models import Force, User
from bluelamp.dispatch import live as dispatch_live
from tests.conftest import HANG_SECONDS, ROOT

REDIS_URL = os.environ.get("BLUELAMP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
SCREENS = 4  # more open screens than the second server has pooled database connections


def redis_reachable() -> bool:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.ping()
        client.close()
    except redis.RedisError:
        return False
    return True


needs_redis = pytest.mark.skipif(not redis_reachable(), reason=f"no Redis at {REDIS_URL}")


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def unique_channel() -> str:
    return f"bl_test_{uuid.uuid4().hex[:12]}"


class Heard:
    def __init__(self) -> None:
        self.items: queue.Queue[dict[str, Any]] = queue.Queue()
        self.resyncs = 0

    def deliver(self, notice: dict[str, Any]) -> None:
        self.items.put(notice)

    def reconnected(self) -> None:
        self.resyncs += 1

    def next(self, timeout: float = 5.0) -> dict[str, Any] | None:
        try:
            return self.items.get(timeout=timeout)
        except queue.Empty:
            return None


def test_a_message_names_its_sender_and_the_sender_ignores_its_own() -> None:
    notice = live.Notice("control.unit.status_changed", 3, "control.view_incident", {"unit_id": 9, "bcu": "CW"}).wire()
    raw = bridge.encode(notice, origin="worker-a")
    assert bridge.decode(raw, origin="worker-a") is None
    assert bridge.decode(raw, origin="worker-b") == notice
    assert bridge.decode("not json", origin="worker-b") is None
    assert bridge.decode('{"o": "x"}', origin="worker-b") is None


def test_a_notice_survives_the_wire_with_positions_and_the_permission_it_needs() -> None:
    positions = [(5, 51.5, -0.12, "2026-11-25T23:00:00+00:00", False)]
    (notice,) = dispatch_live.notices_for(2, positions)
    carried = live.Notice.from_wire(bridge.decode(bridge.encode(notice.wire()), origin="elsewhere") or {})
    assert carried == notice
    assert carried.permission == "dispatch.view_unitposition"
    assert dispatch_live.positions_in(carried) == positions


def test_the_bridge_is_chosen_by_configuration(settings: Any) -> None:
    settings.BLUELAMP_LIVE_BRIDGE = "auto"
    settings.BLUELAMP_REDIS_URL = ""
    expected = "postgres" if on_postgres() else "memory"
    assert bridge.configured_kind() == expected
    settings.BLUELAMP_REDIS_URL = REDIS_URL
    assert bridge.configured_kind() == "redis"
    settings.BLUELAMP_LIVE_BRIDGE = "memory"
    assert isinstance(bridge.make_bridge(), bridge.MemoryBridge)
    with pytest.raises(ValueError, match="not known"):
        bridge.make_bridge("carrier-pigeon")
    with pytest.raises(ValueError, match="channel name"):
        bridge.RedisBridge(REDIS_URL, "Bad Channel!")


def test_announce_reaches_local_screens_once_and_sends_to_the_bridge() -> None:
    sent: list[dict[str, Any]] = []

    class Recording(bridge.MemoryBridge):
        def send(self, *notices: dict[str, Any]) -> None:
            sent.extend(notices)

    previous = live.use_bridge(Recording())
    screen = live.broadcaster.subscribe(41, permissions={"control.view_incident"})
    graded = live.Notice("control.incident.graded", 41, "control.view_incident", {"incident_id": 7})
    try:
        assert live.announce(graded) == 1
        assert screen.get(timeout=0) == graded
        assert screen.get(timeout=0) is None
        assert sent == [
            {
                "topic": "control.incident.graded",
                "force_id": 41,
                "incident_id": 7,
                "permission": "control.view_incident",
            }
        ]
    finally:
        live.broadcaster.unsubscribe(screen)
        live.use_bridge(previous)


def _two_bridges(kind: str, channel: str) -> tuple[Any, Any]:
    if kind == "redis":
        return bridge.RedisBridge(REDIS_URL, channel, origin="a"), bridge.RedisBridge(REDIS_URL, channel, origin="b")
    return bridge.PostgresBridge(channel, origin="a"), bridge.PostgresBridge(channel, origin="b")


def _crosses(kind: str) -> None:
    channel = unique_channel()
    one, other = _two_bridges(kind, channel)
    heard_one, heard_other = Heard(), Heard()
    try:
        one.listen(heard_one.deliver, heard_one.reconnected)
        other.listen(heard_other.deliver, heard_other.reconnected)
        assert bridge.wait_until_listening(one)
        assert bridge.wait_until_listening(other)
        notice = live.Notice("control.urgent_assistance.raised", 4, "", {"unit_id": 12, "alert_id": 3}).wire()
        one.send(notice)
        assert heard_other.next() == notice
        assert heard_one.next(timeout=0.5) is None  # its own notice is not delivered twice
        other.send({"topic": "control.resync", "force_id": 4})
        assert heard_one.next() == {"topic": "control.resync", "force_id": 4}
        several = [live.Notice("control.incident.created", 4, data={"incident_id": n}).wire() for n in (1, 2, 3)]
        one.send(*several)  # sent together, heard one by one, in order
        assert [heard_other.next() for _ in several] == several
    finally:
        one.close()
        other.close()


@needs_redis
def test_redis_carries_a_notice_to_the_other_process_only() -> None:
    _crosses("redis")


@pytest.mark.django_db(transaction=True)
def test_postgres_carries_a_notice_to_the_other_process_only() -> None:
    if not on_postgres():
        pytest.skip("LISTEN/NOTIFY needs PostgreSQL (run with DATABASE_URL=postgresql://…)")
    _crosses("postgres")


# Two servers ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database_url() -> str:
    found = connection.settings_dict
    user = found.get("USER") or "postgres"
    password = f":{found['PASSWORD']}" if found.get("PASSWORD") else ""
    host = found.get("HOST") or "127.0.0.1"
    port = found.get("PORT") or 5432
    return f"postgresql://{user}{password}@{host}:{port}/{found['NAME']}"


class Server:
    def __init__(self, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(os.devnull, "w")  # noqa: SIM115  (closed in stop)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bluelamp.asgi:application",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait(self) -> None:
        ends = time.monotonic() + HANG_SECONDS
        while time.monotonic() < ends:
            if self.process.poll() is not None:
                raise AssertionError(f"uvicorn on port {self.port} stopped with {self.process.returncode}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError(f"uvicorn on port {self.port} did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=HANG_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture
def two_servers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    kind = request.param
    if not on_postgres():
        pytest.skip("two servers share one database only on PostgreSQL (run with DATABASE_URL=postgresql://…)")
    environment = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "REDIS_URL"}}
    environment.update(
        {
            "BLUELAMP_ENV": "test",
            "BLUELAMP_HOME": str(tmp_path),
            "DATABASE_URL": _database_url(),
            "SECRET_KEY": settings.SECRET_KEY,  # the test's session cookie must be valid there
            "BLUELAMP_LIVE_BRIDGE": kind,
            "BLUELAMP_CONSUMERS": "thread",  # as in production: the outbox read after commit
            "BLUELAMP_LIVE_CHANNEL": unique_channel(),
            # Fewer pooled connections than open screens: a stream must not hold one.
            "BLUELAMP_DB_POOL_SIZE": "2",
        }
    )
    if kind == "redis":
        environment["REDIS_URL"] = REDIS_URL
    servers = (Server(environment), Server(environment))
    try:
        for server in servers:
            server.wait()
        yield servers
    finally:
        for server in servers:
            server.stop()


def _stream(base: str, cookie: str, into: queue.Queue[str], ready: threading.Event, stop: threading.Event) -> None:
    try:
        _read(base, cookie, into, ready, stop)
    except httpx.HTTPError:  # the server stopped at the end of the test
        ready.set()


def _read(base: str, cookie: str, into: queue.Queue[str], ready: threading.Event, stop: threading.Event) -> None:
    with (
        httpx.Client(base_url=base, cookies={settings.SESSION_COOKIE_NAME: cookie}, timeout=30) as client,
        client.stream("GET", "/control/live") as response,
    ):
        if response.status_code != 200:
            into.put(f"status {response.status_code}")
            ready.set()
            return
        for line in response.iter_lines():
            if line.startswith(": connected"):
                ready.set()
            if line.startswith("data: "):
                into.put(line[len("data: ") :])
            if stop.is_set():
                return


@pytest.mark.parametrize("two_servers", ["postgres", pytest.param("redis", marks=needs_redis)], indirect=True)
@pytest.mark.django_db(transaction=True)
def test_a_change_through_one_server_reaches_a_screen_on_another(
    two_servers: tuple[Server, Server], london: None
) -> None:
    from bluelamp.core.services import seed_roles

    writer, reader = two_servers
    met = Force.objects.get(code="met")
    seed_roles(force=met)
    dispatcher = User.objects.create_user(username="disp.bridge", force=met)
    dispatcher.roles.add(*met.roles.filter(code__in=["dispatcher", "call_handler", "force_admin"]))
    dispatcher = User.objects.get(pk=dispatcher.pk)
    token = tokens.create_api_token(
        actor=dispatcher,
        force=met,
        name="bridge test",
        permissions=list(Permission.objects.filter(content_type__app_label="control", codename="add_contact")),
    ).secret
    browser = Client()
    browser.force_login(dispatcher)
    cookie = browser.cookies[settings.SESSION_COOKIE_NAME].value

    screens = []
    stop = threading.Event()
    for _ in range(SCREENS):
        received: queue.Queue[str] = queue.Queue()
        ready = threading.Event()
        threading.Thread(target=_stream, args=(reader.base, cookie, received, ready, stop), daemon=True).start()
        assert ready.wait(HANG_SECONDS), "an SSE stream on the second server did not open"
        screens.append(received)

    answer = httpx.post(
        f"{writer.base}/api/v1/control/contacts",
        headers={"Authorization": f"Bearer {token}"},
        json={"channel": "101", "description": "Noise from a party", "address": "Trafalgar Square"},
        timeout=HANG_SECONDS,
    )
    assert answer.status_code == 201, answer.text
    contact_id = answer.json()["id"]
    for received in screens:
        found = received.get(timeout=HANG_SECONDS)
        assert f'"contact_id":{contact_id}' in found
        assert '"topic":"control.contact.received"' in found
    stop.set()


# Unit positions ------------------------------------------------------------------------------


@pytest.mark.usefixtures("unit_reference_data")
@pytest.mark.django_db
def test_accepted_positions_reach_the_forces_screens_in_small_notices(
    supervisor: User, met: Force, city: Force, django_capture_on_commit_callbacks: Any
) -> None:
    from django.utils import timezone

    from bluelamp.core.access import ClientActor
    from bluelamp.dispatch import avl, store
    from tests.control.conftest import make_unit

    store.forget()
    avl.forget_service_areas()
    units = [make_unit(supervisor, f"MD{n:02d}", "FOOT") for n in range(dispatch_live.POSITIONS_PER_NOTICE + 5)]
    may_see = {"dispatch.view_unitposition"}
    ours = live.broadcaster.subscribe(met.pk, permissions=may_see)
    theirs = live.broadcaster.subscribe(city.pk, permissions=may_see)
    try:
        feed = ClientActor(token_id=0, name="AVL", force_id=met.pk, permissions=frozenset({avl.SEND_POSITIONS}))
        now = timezone.now().isoformat()
        items = [
            {"unit": u.call_sign, "at": now, "lat": 51.50 + n / 10000, "lon": -0.12, "source": "avl"}
            for n, u in enumerate(units)
        ]
        with django_capture_on_commit_callbacks(execute=True):
            avl.ingest_positions(actor=feed, items=items)
        notices = [ours.get(timeout=0) for _ in range(ours.pending())]
        moved = [n for n in notices if n is not None and n.topic == dispatch_live.POSITIONS]
        assert [len(dispatch_live.positions_in(n)) for n in moved] == [dispatch_live.POSITIONS_PER_NOTICE, 5]
        first = dispatch_live.positions_in(moved[0])[0]
        assert first[0] == units[0].pk
        assert first[1:3] == (51.5, -0.12)
        assert first[4] is False  # not stale
        assert len(bridge.encode(moved[0].wire()).encode()) < bridge.POSTGRES_PAYLOAD_LIMIT
        assert theirs.pending() == 0
    finally:
        live.broadcaster.unsubscribe(ours)
        live.broadcaster.unsubscribe(theirs)
        store.forget()


@pytest.mark.usefixtures("unit_reference_data")
@pytest.mark.django_db
def test_positions_from_another_worker_move_this_workers_dispatch_index(supervisor: User, met: Force) -> None:
    from django.utils import timezone

    from bluelamp.dispatch import selectors as dispatch_selectors
    from bluelamp.dispatch import store
    from tests.control.conftest import make_unit

    store.forget()
    unit = make_unit(supervisor, "MD01", "FOOT")
    store.index_for(met.pk)  # this worker has loaded its index
    at = timezone.now().isoformat()
    screen = live.broadcaster.subscribe(met.pk, permissions={"dispatch.view_unitposition"})
    try:
        (moved,) = dispatch_live.notices_for(met.pk, [(unit.pk, 51.51, -0.11, at, False)])
        live._from_other_worker(moved.wire())
        assert screen.get(timeout=0) is not None  # its screens got it
        found = {p.unit_id: p for p in dispatch_selectors.latest_positions(actor=supervisor)}
        assert (found[unit.pk].lat, found[unit.pk].lon) == pytest.approx((51.51, -0.11))
    finally:
        live.broadcaster.unsubscribe(screen)
        store.forget()
