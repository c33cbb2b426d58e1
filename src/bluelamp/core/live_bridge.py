"""The live bridge: every worker's notices reach every other worker's screens.

``bluelamp.core.live.broadcaster`` lives in one process. With several workers (uvicorn ``--workers``, or
several machines) each notice is also sent to a shared channel, and a listener thread in each
worker hands what it hears to its own broadcaster:

* **Redis pub/sub** when ``REDIS_URL`` is set (``PUBLISH`` / ``SUBSCRIBE``);
* **PostgreSQL LISTEN/NOTIFY** when the database is PostgreSQL (``pg_notify`` / ``LISTEN``);
* **in memory** otherwise (one process: nothing to bridge).

``BLUELAMP_LIVE_BRIDGE`` (``auto``, ``redis``, ``postgres``, ``memory``) overrides the choice;
``BLUELAMP_LIVE_CHANNEL`` names the channel (one per deployment sharing a Redis or database).

Each message carries the sending process's ``ORIGIN``: a worker delivers its own notices
locally at once and ignores them when they come back from the channel, so no screen sees a
notice twice. When a listener loses its connection it reconnects and tells its screens to
resync, because notices sent meanwhile are lost (pub/sub keeps no backlog).

The wire format is one JSON object: ``{"o": origin, "n": notice}``; a notice carries no
personal data (ids, codes, positions of units) and names the permission a reader needs."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)

ORIGIN = uuid.uuid4().hex  # this process
CHANNEL_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
POSTGRES_PAYLOAD_LIMIT = 7900  # NOTIFY refuses payloads of 8000 bytes or more
NOTIFY_EACH = "SELECT pg_notify(%s, payload) FROM unnest(%s::text[]) AS payload"
RECONNECT_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)

Deliver = Callable[[dict[str, Any]], None]
Reconnected = Callable[[], None]


class Bridge(Protocol):
    kind: str

    def send(self, *notices: dict[str, Any]) -> None: ...

    def listen(self, deliver: Deliver, reconnected: Reconnected) -> None: ...

    def close(self) -> None: ...


def encode(notice: dict[str, Any], origin: str = ORIGIN) -> str:
    return json.dumps({"o": origin, "n": notice}, separators=(",", ":"))


def decode(raw: str | bytes, origin: str = ORIGIN) -> dict[str, Any] | None:
    """The notice in a message from another process; None for our own or a malformed one."""
    try:
        message = json.loads(raw)
    except ValueError:
        log.warning("live bridge: ignored a message that is not JSON")
        return None
    if not isinstance(message, dict) or not isinstance(message.get("n"), dict):
        return None
    if message.get("o") == origin:
        return None
    notice: dict[str, Any] = message["n"]
    return notice


class MemoryBridge:
    """One process: the broadcaster already reaches every screen."""

    kind = "memory"

    def send(self, *notices: dict[str, Any]) -> None:
        return None

    def listen(self, deliver: Deliver, reconnected: Reconnected) -> None:
        return None

    def close(self) -> None:
        return None


class _Listening:
    """A daemon thread that keeps one listening connection open, reconnecting with back-off."""

    kind = "?"

    def __init__(self, channel: str, origin: str) -> None:
        if not CHANNEL_PATTERN.match(channel):
            raise ValueError(f"{channel!r} is not a channel name: lower-case letters, digits and _ only.")
        self.channel = channel
        self.origin = origin
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()  # set while subscribed (tests wait for it)

    def listen(self, deliver: Deliver, reconnected: Reconnected) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._run, args=(deliver, reconnected), name=f"live-bridge-{self.kind}", daemon=True
        )
        self._thread.start()

    def _run(self, deliver: Deliver, reconnected: Reconnected) -> None:
        failures = 0

        def subscribed() -> None:
            if failures:  # notices sent while we were away are lost: screens fetch again
                reconnected()

        while not self._stop.is_set():
            try:
                self._listen_once(deliver, on_subscribed=subscribed)
                failures = 0
            except Exception:  # a lost connection: log it, wait, reconnect
                self.listening.clear()
                log.warning("live bridge (%s): connection lost, reconnecting", self.kind, exc_info=True)
                delay = RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)]
                failures += 1
                self._stop.wait(delay)

    def _listen_once(self, deliver: Deliver, on_subscribed: Callable[[], None]) -> None:
        raise NotImplementedError

    def _hand_on(self, raw: str | bytes, deliver: Deliver) -> None:
        notice = decode(raw, self.origin)
        if notice is not None:
            try:
                deliver(notice)
            except Exception:  # one bad notice must not stop the listener
                log.exception("live bridge: could not deliver a notice")

    def close(self) -> None:
        """Stop listening; waits for the thread so its connection is closed on return."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)


class RedisBridge(_Listening):
    kind = "redis"

    def __init__(self, url: str, channel: str, origin: str = ORIGIN) -> None:
        import redis

        super().__init__(channel, origin)
        self._redis = redis
        self._client = redis.Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)

    def send(self, *notices: dict[str, Any]) -> None:
        """One PUBLISH each, sent together (one round trip)."""
        try:
            with self._client.pipeline(transaction=False) as pipeline:
                for notice in notices:
                    pipeline.publish(self.channel, encode(notice, self.origin))
                pipeline.execute()
        except self._redis.RedisError:
            # The local screens already have it; the other workers will resync when Redis is back.
            log.warning("live bridge (redis): could not publish %d notices", len(notices), exc_info=True)

    def _listen_once(self, deliver: Deliver, on_subscribed: Callable[[], None]) -> None:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
        try:
            pubsub.subscribe(self.channel)
            self.listening.set()
            on_subscribed()
            while not self._stop.is_set():
                message = pubsub.get_message(timeout=1.0)
                if message is not None and message.get("type") == "message":
                    self._hand_on(message["data"], deliver)
        finally:
            self.listening.clear()
            pubsub.close()

    def close(self) -> None:
        super().close()
        self._client.close()


class PostgresBridge(_Listening):
    """NOTIFY through Django's own connection (after the change committed); LISTEN on a
    connection of its own, since a pooled connection cannot wait for notifications."""

    kind = "postgres"

    def __init__(self, channel: str, alias: str = "default", origin: str = ORIGIN) -> None:
        super().__init__(channel, origin)
        self.alias = alias

    def _connect_kwargs(self) -> dict[str, Any]:
        found = connections[self.alias].settings_dict
        kwargs: dict[str, Any] = {"dbname": found["NAME"], "autocommit": True, "connect_timeout": 5}
        for key, name in (("USER", "user"), ("PASSWORD", "password"), ("HOST", "host"), ("PORT", "port")):
            if found.get(key):
                kwargs[name] = found[key]
        return kwargs

    def send(self, *notices: dict[str, Any]) -> None:
        """One NOTIFY each, in one statement: after the change committed each statement is a
        transaction of its own, and a transaction that notifies queues for PostgreSQL's one
        notification queue and flushes its commit to disk."""
        payloads = []
        for notice in notices:
            payload = encode(notice, self.origin)
            if len(payload.encode()) > POSTGRES_PAYLOAD_LIMIT:
                log.warning("live bridge (postgres): a notice of %d bytes is too long for NOTIFY", len(payload))
            else:
                payloads.append(payload)
        if not payloads:
            return
        try:
            with connections[self.alias].cursor() as cursor:
                cursor.execute(NOTIFY_EACH, [self.channel, payloads])
        except Exception:  # the local screens already have them
            log.warning("live bridge (postgres): could not notify", exc_info=True)

    def _listen_once(self, deliver: Deliver, on_subscribed: Callable[[], None]) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(**self._connect_kwargs()) as connection:
            connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            self.listening.set()
            on_subscribed()
            try:
                while not self._stop.is_set():
                    for found in connection.notifies(timeout=1.0):
                        self._hand_on(found.payload, deliver)
            finally:
                self.listening.clear()


def configured_kind() -> str:
    """Which bridge this deployment uses (see the module's docstring)."""
    wanted = str(getattr(settings, "BLUELAMP_LIVE_BRIDGE", "auto") or "auto").lower()
    if wanted != "auto":
        return wanted
    if getattr(settings, "BLUELAMP_REDIS_URL", ""):
        return "redis"
    if connections["default"].vendor == "postgresql":
        return "postgres"
    return "memory"


def make_bridge(kind: str | None = None, *, channel: str | None = None, origin: str = ORIGIN) -> Bridge:
    kind = kind or configured_kind()
    channel = channel or str(getattr(settings, "BLUELAMP_LIVE_CHANNEL", "bluelamp_live"))
    if kind == "redis":
        url = str(getattr(settings, "BLUELAMP_REDIS_URL", ""))
        if not url:
            raise ValueError("BLUELAMP_LIVE_BRIDGE=redis needs REDIS_URL.")
        return RedisBridge(url, channel, origin)
    if kind == "postgres":
        return PostgresBridge(channel, origin=origin)
    if kind == "memory":
        return MemoryBridge()
    raise ValueError(f"BLUELAMP_LIVE_BRIDGE={kind!r} is not known: use auto, redis, postgres or memory.")


def wait_until_listening(bridge: Bridge, timeout: float = 10.0) -> bool:
    event = getattr(bridge, "listening", None)
    if event is None:
        return True
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        if event.wait(0.05):
            return True
    return False
