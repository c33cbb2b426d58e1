"""Events: each service that changes state emits one, in the same transaction (outbox).

Nothing acts on an event inside the emitting transaction: once it commits, the consumers of the
outbox (``bluelamp.core.consumers``: the live screens, the POLE feed, dispatch, online's report
status) read it, each at its own durable cursor."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from bluelamp.core import consumers
from bluelamp.core.models import Force, OutboxEvent


def emit(topic: str, *, force: Force | None = None, **payload: Any) -> OutboxEvent:
    """Record that something happened, e.g. ``emit("business.person.imported", force=f, count=3)``.
    Call it inside the service's transaction, so the event exists if and only if the change does;
    the consumers are woken when that transaction commits."""
    new = OutboxEvent.objects.create(topic=topic, force=force, payload=payload)
    transaction.on_commit(consumers.wake, robust=True)
    return new
