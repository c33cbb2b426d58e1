"""The control room's change feed: what changed, pushed to every open screen of the same force.

Services already write an ``OutboxEvent`` inside their transaction (``core.events.emit``). A
receiver of ``bluelamp.core.events.emitted`` picks up the ``control.*`` topics and, **only once the
transaction commits** (``transaction.on_commit``), publishes a small notice — topic, force and
the incident or contact id, never personal data — to the in-process :data:`broadcaster`.
Screens re-fetch what they show; the notice only says *what* changed.

Each subscriber (one open ``/control/live`` stream) has its own bounded buffer. A screen that
falls behind loses its backlog and gets one ``resync`` notice instead, so one slow screen can
never hold memory or slow the others down.

Several workers: the broadcaster lives in one process, so every notice is also sent through
the live bridge (``bridge.py``: Redis pub/sub or PostgreSQL LISTEN/NOTIFY, chosen by
configuration), and each worker that serves a stream listens there and republishes what other
workers sent into its own broadcaster. :func:`announce` is the one way to send a notice.

Unit positions (the dispatch app's ``positions_moved`` signal) travel the same way as
``control.positions`` notices, in batches small enough for NOTIFY."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connections, transaction
from django.dispatch import Signal, receiver

from bluelamp.control import bridge as bridge_module
from bluelamp.core.events import emitted
from bluelamp.core.models import OutboxEvent

TOPIC_PREFIX = "control."
BUFFER_BOUND = 100  # notices kept for one screen before it is told to resync
HEARTBEAT_SECONDS = 15.0  # a comment line, so proxies and the browser keep the stream open
STREAM_SECONDS = 300.0  # a stream ends after this; EventSource reconnects (and re-checks sign-in)
RETRY_MILLISECONDS = 2000
RESYNC = "control.resync"


POSITIONS = "control.positions"
POSITIONS_PER_NOTICE = 50  # keeps one notice well under NOTIFY's 8000 bytes
OPTIONAL = ("incident_id", "contact_id", "unit_id", "alert_id", "bcu")


@dataclass(frozen=True)
class Notice:
    """What changed — ids and codes, never personal data."""

    topic: str
    force_id: int
    incident_id: int | None = None
    contact_id: int | None = None
    unit_id: int | None = None
    alert_id: int | None = None
    bcu: str | None = None  # the unit's home BCU (urgent assistance, unit status)
    positions: tuple[tuple[Any, ...], ...] | None = None  # (unit_id, lat, lon, at, stale)

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"topic": self.topic, "force_id": self.force_id}
        for name in OPTIONAL:
            value = getattr(self, name)
            if value is not None:
                found[name] = value
        if self.positions is not None:
            found["positions"] = [
                {"unit_id": p[0], "lat": p[1], "lon": p[2], "at": p[3], "stale": p[4]} for p in self.positions
            ]
        return found

    @classmethod
    def from_dict(cls, found: dict[str, Any]) -> Notice:
        positions = found.get("positions")
        return cls(
            topic=str(found["topic"]),
            force_id=int(found["force_id"]),
            **{name: found.get(name) for name in OPTIONAL},
            positions=tuple((p["unit_id"], p["lat"], p["lon"], p.get("at"), bool(p.get("stale"))) for p in positions)
            if positions is not None
            else None,
        )


class Subscription:
    """One screen's buffer. ``put`` is called from any thread; ``get`` (threads) or ``aget``
    (the event loop) wait for the next notice."""

    def __init__(self, force_id: int, *, bound: int = BUFFER_BOUND, loop: asyncio.AbstractEventLoop | None = None):
        self.force_id = force_id
        self.bound = bound
        self.dropped = 0
        self._items: deque[Notice] = deque()
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._loop = loop
        self._async_ready = asyncio.Event() if loop is not None else None

    def put(self, notice: Notice) -> None:
        with self._lock:
            if len(self._items) >= self.bound:
                # Fallen behind: forget the backlog and tell the screen to fetch everything again.
                self.dropped += len(self._items)
                self._items.clear()
                notice = Notice(RESYNC, self.force_id)
            self._items.append(notice)
            self._ready.set()
        if self._loop is not None and self._async_ready is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: the stream is gone
                self._loop.call_soon_threadsafe(self._async_ready.set)

    def _take(self) -> Notice | None:
        with self._lock:
            if not self._items:
                self._ready.clear()
                return None
            return self._items.popleft()

    def get(self, timeout: float) -> Notice | None:
        """The next notice, or None after ``timeout`` seconds without one."""
        found = self._take()
        if found is not None:
            return found
        self._ready.wait(timeout)
        return self._take()

    async def aget(self, timeout: float) -> Notice | None:
        assert self._async_ready is not None, "subscribe with a loop to wait asynchronously"
        found = self._take()
        if found is not None:
            return found
        self._async_ready.clear()
        found = self._take()  # something may have arrived between the two lines above
        if found is not None:
            return found
        try:
            await asyncio.wait_for(self._async_ready.wait(), timeout)
        except TimeoutError:
            return None
        return self._take()

    def pending(self) -> int:
        with self._lock:
            return len(self._items)


class Broadcaster:
    """Hands each notice to the subscriptions of its force. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: set[Subscription] = set()

    def subscribe(
        self, force_id: int, *, bound: int = BUFFER_BOUND, loop: asyncio.AbstractEventLoop | None = None
    ) -> Subscription:
        listen()  # a worker that serves screens hears the other workers' notices
        subscription = Subscription(force_id, bound=bound, loop=loop)
        with self._lock:
            self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    def publish(self, notice: Notice) -> int:
        """Deliver to every subscription of the notice's force; returns how many got it."""
        with self._lock:
            targets = [s for s in self._subscriptions if s.force_id == notice.force_id]
        for subscription in targets:
            subscription.put(notice)
        return len(targets)

    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscriptions)

    def resync_all(self) -> None:
        """Tell every screen to fetch everything again (the bridge lost notices)."""
        with self._lock:
            targets = list(self._subscriptions)
        for subscription in targets:
            subscription.put(Notice(RESYNC, subscription.force_id))


broadcaster = Broadcaster()

# The bridge to the other workers ------------------------------------------------------------

_bridge: bridge_module.Bridge | None = None
_bridge_lock = threading.Lock()


def bridge() -> bridge_module.Bridge:
    """This process's bridge, made on first use from the settings."""
    global _bridge
    with _bridge_lock:
        if _bridge is None:
            _bridge = bridge_module.make_bridge()
        return _bridge


def use_bridge(chosen: bridge_module.Bridge | None) -> bridge_module.Bridge | None:
    """Replace this process's bridge (tests, benchmarks); returns the one it replaces."""
    global _bridge, _listening
    with _bridge_lock:
        previous, _bridge = _bridge, chosen
        _listening = False
    return previous


# Sent (in the bridge's listener thread) for each notice another worker made, after this
# worker's screens have it: e.g. the dispatch app corrects its in-memory index of units.
remote_notice = Signal()


def _from_other_worker(found: dict[str, Any]) -> None:
    notice = Notice.from_dict(found)
    broadcaster.publish(notice)
    if notice.topic == POSITIONS and notice.positions:
        _apply_remote_positions(notice)
    remote_notice.send_robust(sender=Notice, notice=notice)


def _apply_remote_positions(notice: Notice) -> None:
    """Positions another worker accepted move this worker's dispatch index too."""
    import importlib

    try:
        avl = importlib.import_module("bluelamp.dispatch.avl")
    except ImportError:
        return
    apply = getattr(avl, "apply_remote_positions", None)
    if apply is not None:
        apply(notice.force_id, [tuple(p) for p in notice.positions or ()])


_listening = False


def listen() -> None:
    """Start hearing the other workers, once per process (nothing to do in memory). The first
    screen waits briefly for the subscription, so that it misses nothing sent after it opened."""
    global _listening
    if _listening:
        return
    with _bridge_lock:
        if _listening:
            return
        _listening = True
    found = bridge()
    found.listen(_from_other_worker, broadcaster.resync_all)
    bridge_module.wait_until_listening(found, timeout=2.0)


def announce(*notices: Notice) -> int:
    """Send notices to this worker's screens at once and to every other worker's through the
    bridge (together: one round trip). Returns how many local screens got them."""
    delivered = sum(broadcaster.publish(notice) for notice in notices)
    bridge().send(*(notice.as_dict() for notice in notices))
    return delivered


def notice_for(event: OutboxEvent) -> Notice | None:
    if not event.topic.startswith(TOPIC_PREFIX) or event.force_id is None:
        return None
    payload = event.payload or {}
    return Notice(
        topic=event.topic,
        force_id=event.force_id,
        incident_id=payload.get("incident_id"),
        contact_id=payload.get("contact_id"),
        unit_id=payload.get("unit_id"),
        alert_id=payload.get("alert_id"),
        bcu=payload.get("bcu"),
    )


@receiver(emitted, sender=OutboxEvent, dispatch_uid="bluelamp.control.live")
def _on_events(sender: type[OutboxEvent], events: list[OutboxEvent], **kwargs: Any) -> None:
    notices = [notice for notice in map(notice_for, events) if notice is not None]
    if notices:
        # Only a committed change is announced; a rolled-back one never reaches a screen.
        transaction.on_commit(lambda: announce(*notices), robust=True)


def announce_positions(force_id: int, positions: Any) -> None:
    """Unit positions (unit_id, lat, lon, at, stale) to the force's screens, in small batches."""
    rows = [
        (
            int(p[0]),
            round(float(p[1]), 6),
            round(float(p[2]), 6),
            p[3].isoformat() if hasattr(p[3], "isoformat") else p[3],
            bool(p[4]),
        )
        for p in positions
    ]
    announce(
        *(
            Notice(POSITIONS, force_id, positions=tuple(rows[start : start + POSITIONS_PER_NOTICE]))
            for start in range(0, len(rows), POSITIONS_PER_NOTICE)
        )
    )


def _on_positions_moved(sender: Any, force_id: int, positions: Any, **kwargs: Any) -> None:
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: announce_positions(force_id, positions), robust=True)
    else:
        announce_positions(force_id, positions)


def _connect_dispatch() -> None:
    """The dispatch app's AVL feed, when that app is installed."""
    import importlib

    try:
        signals = importlib.import_module("bluelamp.dispatch.signals")
    except ImportError:
        return
    signals.positions_moved.connect(_on_positions_moved, dispatch_uid="bluelamp.control.live.positions")


_connect_dispatch()


# The text/event-stream format ---------------------------------------------------------------


def sse_message(notice: Notice) -> str:
    return f"event: change\ndata: {json.dumps(notice.as_dict(), separators=(',', ':'))}\n\n"


HEARTBEAT = ": heartbeat\n\n"
OPENING = f"retry: {RETRY_MILLISECONDS}\n: connected\n\n"


def release_database() -> None:
    """A stream needs no database, and may stay open for minutes: give this thread's
    connections back now rather than when the response ends."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


def stream(
    subscription: Subscription,
    *,
    heartbeat: float = HEARTBEAT_SECONDS,
    lifetime: float = STREAM_SECONDS,
    clock: Any = None,
) -> Iterator[str]:
    """The stream for a threaded (WSGI) server: blocks its thread between notices."""
    import time

    now = clock or time.monotonic
    ends = now() + lifetime
    release_database()
    try:
        yield OPENING
        while now() < ends:
            notice = subscription.get(timeout=min(heartbeat, max(0.0, ends - now())))
            yield HEARTBEAT if notice is None else sse_message(notice)
    finally:
        broadcaster.unsubscribe(subscription)


async def astream(
    force_id: int, *, heartbeat: float = HEARTBEAT_SECONDS, lifetime: float = STREAM_SECONDS
) -> AsyncIterator[str]:
    """The stream for ASGI (uvicorn): subscribes on the event loop and waits there, holding no
    thread."""
    loop = asyncio.get_running_loop()
    subscription = broadcaster.subscribe(force_id, loop=loop)
    ends = loop.time() + lifetime
    try:
        yield OPENING
        while loop.time() < ends:
            notice = await subscription.aget(timeout=min(heartbeat, max(0.0, ends - loop.time())))
            yield HEARTBEAT if notice is None else sse_message(notice)
    finally:
        broadcaster.unsubscribe(subscription)
