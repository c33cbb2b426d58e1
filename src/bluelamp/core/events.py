"""Events: each service that changes state emits one, in the same transaction (outbox)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from bluelamp.core.models import Force, OutboxEvent


def emit(topic: str, *, force: Force | None = None, about: Model | None = None, **payload: Any) -> OutboxEvent:
    """Record that something happened, e.g. ``emit("business.person.imported", force=f, count=3)``.
    Call it inside the service's transaction, so the event exists if and only if the change does.

    ``about``: the record the event is about, as the service holds it. Receivers in this process
    find it as ``event.about`` (it is not stored), so they need not read back what the
    transaction has just written."""
    event = OutboxEvent(topic=topic, force=force, payload=payload)
    event.about = about
    event.save(force_insert=True)
    return event
