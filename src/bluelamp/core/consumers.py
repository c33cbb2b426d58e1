"""Consumers of the outbox: each reads every committed event once, in order, and never loses one.

* Each consumer has a **name** and a durable cursor (``ConsumerCursor``). It reads events after
  they commit, in id order, and handles each in a savepoint of the transaction that moves its
  cursor: a change a handler writes and the cursor's step commit together.
* A handler that fails is **retried** with backoff (the error kept on the cursor, shown on
  ``/healthz`` and by ``bluelamp check``); the consumer waits at that event rather than skip it.
* Consumers run in a thread of each process that serves requests, woken when a transaction
  that emitted events commits and every :data:`POLL_SECONDS` besides (``BLUELAMP_CONSUMERS =
  "thread"``); or in ``bluelamp consume``, a process of their own (``"off"`` in the web
  workers); or at once in the committing thread (``"inline"``: tests).

Out-of-order commits: PostgreSQL hands out ids when a row is inserted, not when its transaction
commits, so event 11 may be visible before event 10 is. A cursor that only kept "the highest id
seen" would skip 10 for ever. Each cursor therefore keeps the ids below its position it has not
seen (its *gaps*) and looks for them again on every run, for :data:`GAP_GRACE` — far longer than
any transaction of ours lasts; an id still missing then belonged to a rolled-back transaction.
We chose this over ``pg_snapshot_xmin`` (waiting until no older transaction is open) because it
works the same on SQLite and PostgreSQL and never holds every consumer back behind one long
transaction elsewhere in the database."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Max
from django.utils import timezone

from bluelamp.core.models import ConsumerCursor, OutboxEvent

logger = logging.getLogger(__name__)

BATCH = 200  # events read per run of one consumer
POLL_SECONDS = 1.0  # a worker looks without being woken this often (other processes' events, gaps)
GAP_GRACE = dt.timedelta(minutes=5)
MAX_GAPS = 10_000  # ids jumped over beyond this are not waited for (a sequence moved on by hand)
FIRST_RETRY = dt.timedelta(seconds=1)
LONGEST_WAIT = dt.timedelta(minutes=5)

Handle = Callable[[OutboxEvent], None]


@dataclass(frozen=True)
class Consumer:
    name: str
    topics: tuple[str, ...]  # prefixes of the topics it handles; the others only move its cursor
    handle: Handle

    def wants(self, event: OutboxEvent) -> bool:
        return event.topic.startswith(self.topics)


_consumers: dict[str, Consumer] = {}


def register(name: str, *, topics: Iterable[str], handle: Handle, first: bool = False) -> Consumer:
    """Add a consumer (an app does this when it is loaded). ``first``: run before the others
    (the live screens, whose reader is waiting)."""
    consumer = Consumer(name, tuple(topics), handle)
    others = {k: v for k, v in _consumers.items() if k != name}
    _consumers.clear()
    _consumers.update({name: consumer} | others if first else others | {name: consumer})
    return consumer


def unregister(name: str) -> None:
    _consumers.pop(name, None)


def registered() -> list[Consumer]:
    return list(_consumers.values())


def consumer(name: str) -> Consumer:
    try:
        return _consumers[name]
    except KeyError:
        raise LookupError(f"No consumer of the outbox is called {name!r}: see `bluelamp consume --list`.") from None


def backoff(attempts: int) -> dt.timedelta:
    """1 s, 2 s, 4 s… up to five minutes between attempts."""
    wait: dt.timedelta = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(wait, LONGEST_WAIT)


# Running one consumer ------------------------------------------------------------------------

_running: dict[str, threading.Lock] = {}  # one run of a consumer at a time per process
_running_lock = threading.Lock()


def _process_lock(name: str) -> threading.Lock:
    with _running_lock:
        return _running.setdefault(name, threading.Lock())


def run(consumer: Consumer, *, batch: int = BATCH, now: dt.datetime | None = None) -> int:
    """Handle what ``consumer`` has not handled yet; returns how many events it handled (0 when
    another thread or process is running it, or it waits to retry)."""
    held = _process_lock(consumer.name)
    if not held.acquire(blocking=False):
        return 0
    try:
        with transaction.atomic():
            cursor = _claim(consumer.name)
            if cursor is None:
                return 0
            return _advance(consumer, cursor, batch=batch, now=now or timezone.now())
    finally:
        held.release()


def _claim(name: str) -> ConsumerCursor | None:
    """The cursor, locked; None when another process holds it (PostgreSQL skips it)."""
    ConsumerCursor.objects.get_or_create(name=name)
    found = ConsumerCursor.objects.filter(name=name)
    if connection.features.has_select_for_update_skip_locked:
        found = found.select_for_update(skip_locked=True)
    return found.first()


def _advance(consumer: Consumer, cursor: ConsumerCursor, *, batch: int, now: dt.datetime) -> int:
    if cursor.retry_at is not None and cursor.retry_at > now:
        return 0
    gaps = {int(pk): dt.datetime.fromisoformat(seen) for pk, seen in cursor.gaps.items()}
    late = list(OutboxEvent.objects.filter(pk__in=list(gaps)).order_by("pk"))
    found = {event.pk for event in late}
    gaps = {pk: seen for pk, seen in gaps.items() if pk in found or now - seen < GAP_GRACE}
    handled = 0
    failed = False
    for event in late:  # committed after a later event was handled: handled now, not skipped
        if not _handle(consumer, cursor, event, now):
            failed = True
            break
        gaps.pop(event.pk)
        handled += 1
    if not failed:
        for event in OutboxEvent.objects.filter(pk__gt=cursor.position).order_by("pk")[:batch]:
            if not _handle(consumer, cursor, event, now):
                break
            # A cursor that has read nothing yet starts at the first event it sees: the ids below
            # it belong to rows purged, or to tests' flushed tables, not to commits in flight.
            missed = range(cursor.position + 1, event.pk) if cursor.position else range(0)
            if len(gaps) + len(missed) <= MAX_GAPS:
                gaps.update(dict.fromkeys(missed, now))
            else:
                logger.warning("consumer %s: ids %s-%s not waited for", consumer.name, missed.start, missed.stop - 1)
            cursor.position = event.pk
            handled += 1
    kept = {str(pk): seen.isoformat() for pk, seen in sorted(gaps.items())}
    if handled or failed or kept != cursor.gaps or cursor.failing_event_id is not None:
        cursor.gaps = kept
        cursor.handled_at = now if handled else cursor.handled_at
        cursor.save()  # an idle poll writes nothing
    return handled


def _handle(consumer: Consumer, cursor: ConsumerCursor, event: OutboxEvent, now: dt.datetime) -> bool:
    """Handle one event in a savepoint; on failure, keep the error and when to try again."""
    if not consumer.wants(event):
        return True
    try:
        with transaction.atomic():
            consumer.handle(event)
    except Exception as error:
        cursor.attempts = cursor.attempts + 1 if cursor.failing_event_id == event.pk else 1
        cursor.failing_event_id = event.pk
        cursor.last_error = f"{event.topic} #{event.pk}: {type(error).__name__}: {error}"[:2000]
        cursor.last_error_at = now
        cursor.retry_at = now + backoff(cursor.attempts)
        logger.warning("consumer %s: event %s failed (attempt %s)", consumer.name, event.pk, cursor.attempts)
        return False
    if cursor.failing_event_id is not None:
        cursor.failing_event_id, cursor.attempts, cursor.retry_at = None, 0, None
    return True


def run_all(*, names: Iterable[str] | None = None, batch: int = BATCH) -> int:
    """Run every consumer (or those named) once; returns how many events they handled."""
    wanted = set(names) if names is not None else None
    handled = 0
    for consumer in registered():
        if wanted is None or consumer.name in wanted:
            try:
                handled += run(consumer, batch=batch)
            except Exception:  # the database went away: the next run tries again
                logger.exception("consumer %s could not run", consumer.name)
    return handled


def run_until_idle(*, names: Iterable[str] | None = None, rounds: int = 100) -> int:
    """Run until nothing is left (tests, ``bluelamp consume --once``)."""
    handled = 0
    for _ in range(rounds):
        found = run_all(names=names)
        handled += found
        if not found:
            break
    return handled


# When consumers run ---------------------------------------------------------------------------


def mode() -> str:
    return str(getattr(settings, "BLUELAMP_CONSUMERS", "thread"))


_inline = threading.local()


def wake() -> None:
    """A transaction that emitted events has committed (``core.events.emit`` calls this)."""
    chosen = mode()
    if chosen == "thread":
        worker().wake()
    elif chosen == "inline":
        if getattr(_inline, "running", False):
            _inline.again = True  # a handler emitted: the loop below runs once more
            return
        _inline.running = True
        try:
            _inline.again = True
            while _inline.again:
                _inline.again = False
                run_all()
        finally:
            _inline.running = False


class Worker:
    """A daemon thread that runs the consumers when woken, and every ``poll`` seconds."""

    def __init__(self, poll: float = POLL_SECONDS) -> None:
        self.poll = poll
        self._woken = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def wake(self) -> None:
        self.start()
        self._woken.set()

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self.loop, name="outbox-consumers", daemon=True)
                self._thread.start()

    def loop(self) -> None:
        try:
            while not self._stop.is_set():
                self._woken.wait(self.poll)
                self._woken.clear()
                close_old_connections()
                while run_all() and not self._stop.is_set():
                    pass  # more than one batch waiting
        finally:
            connection.close()

    def stop(self) -> None:
        self._stop.set()
        self._woken.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)


_worker: Worker | None = None
_worker_lock = threading.Lock()


def worker() -> Worker:
    global _worker
    with _worker_lock:
        if _worker is None:
            _worker = Worker()
        return _worker


# What the health page shows --------------------------------------------------------------------


@dataclass(frozen=True)
class Lag:
    name: str
    behind: int  # events written after its position (any topic)
    oldest_seconds: float  # how long the oldest of them has waited
    waiting_for: int  # gaps it still looks for
    failing_event_id: int | None
    attempts: int
    last_error: str
    last_error_at: dt.datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "behind": self.behind,
            "oldest_seconds": round(self.oldest_seconds, 3),
            "waiting_for": self.waiting_for,
            "failing_event_id": self.failing_event_id,
            "attempts": self.attempts,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at.isoformat() if self.last_error_at else None,
        }


def lags(*, now: dt.datetime | None = None) -> list[Lag]:
    """How far behind each registered consumer is, and its last error."""
    now = now or timezone.now()
    cursors = {c.name: c for c in ConsumerCursor.objects.filter(name__in=list(_consumers))}
    newest = OutboxEvent.objects.aggregate(newest=Max("pk"))["newest"] or 0
    found = []
    for name in _consumers:
        cursor = cursors.get(name) or ConsumerCursor(name=name)
        oldest = (
            OutboxEvent.objects.filter(pk__gt=cursor.position).order_by("pk").values_list("created_at", flat=True)[:1]
        )
        found.append(
            Lag(
                name=name,
                behind=max(newest - cursor.position, 0),
                oldest_seconds=(now - oldest[0]).total_seconds() if oldest else 0.0,
                waiting_for=len(cursor.gaps),
                failing_event_id=cursor.failing_event_id,
                attempts=cursor.attempts,
                last_error=cursor.last_error,
                last_error_at=cursor.last_error_at,
            )
        )
    return found
