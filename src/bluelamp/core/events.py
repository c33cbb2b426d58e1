"""Events: each service that changes state emits one, in the same transaction (outbox).

Nothing acts on an event inside the emitting transaction: once it commits, the consumers of the
outbox (``bluelamp.core.consumers``: the live screens, the POLE feed, dispatch, online's report
status) read it, each at its own durable cursor."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Model

from bluelamp.core import consumers
from bluelamp.core.db.rows import insert_rows
from bluelamp.core.models import Force, OutboxEvent

M = TypeVar("M", bound=Model)


def emit(topic: str, *, force: Force | None = None, about: Model | None = None, **payload: Any) -> OutboxEvent:
    """Record that something happened, e.g. ``emit("business.person.imported", force=f, count=3)``.
    Call it inside the service's transaction, so the event exists if and only if the change does.

    ``about``: the record the event is about, as the service holds it. Receivers in this process
    find it as ``event.about`` (it is not stored), so they need not read back what the
    transaction has just written."""
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


def about(event: OutboxEvent, model: type[M], pk: Any) -> M | None:
    """The ``model`` row ``pk`` as the emitting service held it (see :func:`emit`), or None when
    the event carries no such record: the receiver then reads it."""
    held = event.about
    return held if isinstance(held, model) and held.pk == pk else None
