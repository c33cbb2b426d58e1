"""Events: each service that changes state emits one, in the same transaction (outbox)."""

from __future__ import annotations

from typing import Any

from bluelamp.core.models import Force, OutboxEvent


def emit(topic: str, *, force: Force | None = None, **payload: Any) -> OutboxEvent:
    """Record that something happened, e.g. ``emit("business.person.imported", force=f, count=3)``.
    Call it inside the service's transaction, so the event exists if and only if the change does."""
    return OutboxEvent.objects.create(topic=topic, force=force, payload=payload)
