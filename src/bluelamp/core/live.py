"""Live screens: a notice of each committed change, pushed to every open screen that may see it.

* A **notice** says *what* changed (topic, force, ids, positions of units) and which permission
  a reader needs to receive it; screens re-fetch what they show. It never carries personal data.
* The **broadcaster** hands a notice to each open stream of the same force whose reader holds
  that permission. Each stream has a bounded buffer: a screen that falls behind loses its
  backlog and gets one ``resync`` notice instead, so one slow screen never holds the others up.
* :func:`announce` is the one way to send: to this process's screens at once and, through the
  live bridge (``live_bridge.py``: Redis pub/sub or PostgreSQL LISTEN/NOTIFY), to every other
  worker's. An app that keeps state of its own in memory (dispatch's index of units) hears
  every notice, this worker's and the others', with :func:`on_notice`.

Apps build their notices; core knows none of their topics."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connections

from bluelamp.core import live_bridge

log = logging.getLogger(__name__)

BUFFER_BOUND = 100  # notices kept for one screen before it is told to resync
HEARTBEAT_SECONDS = 15.0  # a comment line, so proxies and the browser keep the stream open
STREAM_SECONDS = 300.0  # a stream ends after this; EventSource reconnects (and re-checks sign-in)
RETRY_MILLISECONDS = 2000
RESYNC = "control.resync"  # the screens' scripts know "fetch everything again" by this name


@dataclass(frozen=True)
class Notice:
    """What changed — ids and codes, never personal data. ``permission``: what a reader must
    hold to receive it (e.g. ``control.view_incident``); empty for notices every reader gets."""

    topic: str
    force_id: int
    permission: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """What a screen receives."""
        return {"topic": self.topic, "force_id": self.force_id, **self.data}

    def wire(self) -> dict[str, Any]:
        """What the bridge carries to other workers: the screen's view and the permission."""
        return self.as_dict() | {"permission": self.permission}

    @classmethod
    def from_wire(cls, found: dict[str, Any]) -> Notice:
        data = {k: v for k, v in found.items() if k not in {"topic", "force_id", "permission"}}
        return cls(str(found["topic"]), int(found["force_id"]), str(found.get("permission") or ""), data)


class Subscription:
    """One screen's buffer. ``put`` is called from any thread; ``get`` (threads) or ``aget``
    (the event loop) wait for the next notice. ``permissions``: what its reader holds."""

    def __init__(
        self,
        force_id: int,
        *,
        permissions: Collection[str] = frozenset(),
        bound: int = BUFFER_BOUND,
        loop: asyncio.AbstractEventLoop | None = None,
    ):
        self.force_id = force_id
        self.permissions = frozenset(permissions)
        self.bound = bound
        self.dropped = 0
        self._items: deque[Notice] = deque()
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._loop = loop
        self._async_ready = asyncio.Event() if loop is not None else None

    def may_read(self, notice: Notice) -> bool:
        return notice.force_id == self.force_id and (not notice.permission or notice.permission in self.permissions)

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
    """Hands each notice to the subscriptions that may read it. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: set[Subscription] = set()

    def subscribe(
        self,
        force_id: int,
        *,
        permissions: Collection[str] = frozenset(),
        bound: int = BUFFER_BOUND,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> Subscription:
        listen()  # a worker that serves screens hears the other workers' notices
        subscription = Subscription(force_id, permissions=permissions, bound=bound, loop=loop)
        with self._lock:
            self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscriptions.discard(subscription)

    def publish(self, notice: Notice) -> int:
        """Deliver to every subscription that may read the notice; returns how many got it."""
        with self._lock:
            targets = [s for s in self._subscriptions if s.may_read(notice)]
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

_bridge: live_bridge.Bridge | None = None
_bridge_lock = threading.Lock()
_listening = False
_listeners: dict[tuple[str, bool], Callable[[Notice], None]] = {}


def bridge() -> live_bridge.Bridge:
    """This process's bridge, made on first use from the settings."""
    global _bridge
    with _bridge_lock:
        if _bridge is None:
            _bridge = live_bridge.make_bridge()
        return _bridge


def use_bridge(chosen: live_bridge.Bridge | None) -> live_bridge.Bridge | None:
    """Replace this process's bridge (tests, benchmarks); returns the one it replaces."""
    global _bridge, _listening
    with _bridge_lock:
        previous, _bridge = _bridge, chosen
        _listening = False
    return previous


def on_notice(topic_prefix: str, handler: Callable[[Notice], None], *, remote_only: bool = False) -> None:
    """Call ``handler`` with each notice whose topic starts with ``topic_prefix``, announced in
    this worker or heard from another (``remote_only``: only those, e.g. when this worker has
    already acted on its own). One handler per prefix; it must be quick."""
    _listeners[(topic_prefix, remote_only)] = handler


def _tell_listeners(notice: Notice, *, remote: bool) -> None:
    for (prefix, remote_only), handler in list(_listeners.items()):
        if notice.topic.startswith(prefix) and (remote or not remote_only):
            try:
                handler(notice)
            except Exception:  # one listener's fault must not stop the screens or the others
                log.exception("live: a listener failed on %s", notice.topic)


def _from_other_worker(found: dict[str, Any]) -> None:
    notice = Notice.from_wire(found)
    broadcaster.publish(notice)
    _tell_listeners(notice, remote=True)


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
    live_bridge.wait_until_listening(found, timeout=2.0)


def announce(*notices: Notice) -> int:
    """Send notices to this worker's screens at once and to every other worker's through the
    bridge (together: one round trip). Returns how many local screens got them."""
    delivered = sum(broadcaster.publish(notice) for notice in notices)
    bridge().send(*(notice.wire() for notice in notices))
    for notice in notices:
        _tell_listeners(notice, remote=False)
    return delivered


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
    force_id: int,
    *,
    permissions: Collection[str] = frozenset(),
    heartbeat: float = HEARTBEAT_SECONDS,
    lifetime: float = STREAM_SECONDS,
) -> AsyncIterator[str]:
    """The stream for ASGI (uvicorn): subscribes on the event loop and waits there, holding no
    thread."""
    loop = asyncio.get_running_loop()
    subscription = broadcaster.subscribe(force_id, permissions=permissions, loop=loop)
    ends = loop.time() + lifetime
    try:
        yield OPENING
        while loop.time() < ends:
            notice = await subscription.aget(timeout=min(heartbeat, max(0.0, ends - loop.time())))
            yield HEARTBEAT if notice is None else sse_message(notice)
    finally:
        broadcaster.unsubscribe(subscription)
