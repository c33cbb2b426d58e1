"""Events: each service that changes state emits one, in the same transaction (outbox).

Nothing acts on an event inside the emitting transaction: once it commits, the consumers of the
outbox (``bluelamp.core.consumers``: the live screens, the POLE feed, dispatch, online's report
status) read it, each at its own durable cursor."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Model

from bluelamp.core import consumers
from bluelamp.core.db.rows import insert_rows
from bluelamp.core.models import Force, OutboxEvent


def emit(topic: str, *, force: Force | None = None, about: Model | None = None, **payload: Any) -> OutboxEvent:
    """Record that something happened, e.g. ``emit("business.person.imported", force=f, count=3)``.
    Call it inside the service's transaction, so the event exists if and only if the change does.

    ``about``: the record the event is about, as the service holds it (not stored). Consumers
    read events after commit and so read the record themselves: nothing uses it any more, and
    it goes when its last callers stop passing it."""
    return emit_all([event(topic, force=force, about=about, **payload)])[0]


def event(topic: str, *, force: Force | None = None, about: Model | None = None, **payload: Any) -> OutboxEvent:
    """An event for :func:`emit_all` (as :func:`emit` takes it), not yet written."""
    new = OutboxEvent(topic=topic, force=force, payload=payload)
    new.about = about
    return new


def emit_all(events: list[OutboxEvent]) -> list[OutboxEvent]:
    """Write ``events`` (from :func:`event`) in one statement; the consumers are woken when the
    transaction commits."""
    if events:
        insert_rows(events)
        transaction.on_commit(consumers.wake, robust=True)
    return events
