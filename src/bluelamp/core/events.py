"""Events: each service that changes state emits one, in the same transaction (outbox).

Receivers in this process (the live screens, the POLE feed, dispatch) listen to
:data:`emitted`, which carries the event just written (as a list of one)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model
from django.dispatch import Signal

from bluelamp.core.models import Force, OutboxEvent

M = TypeVar("M", bound=Model)

# Sent with ``events`` (a list of saved OutboxEvents) inside the emitting transaction.
emitted = Signal()


def emit(topic: str, *, force: Force | None = None, about: Model | None = None, **payload: Any) -> OutboxEvent:
    """Record that something happened, e.g. ``emit("business.person.imported", force=f, count=3)``.
    Call it inside the service's transaction, so the event exists if and only if the change does.

    ``about``: the record the event is about, as the service holds it. Receivers in this process
    find it as ``event.about`` (it is not stored), so they need not read back what the
    transaction has just written."""
    new = OutboxEvent(topic=topic, force=force, payload=payload)
    new.save()
    new.about = about
    emitted.send(sender=OutboxEvent, events=[new])
    return new


def about(event: OutboxEvent, model: type[M], pk: Any) -> M | None:
    """The ``model`` row ``pk`` as the emitting service held it (see :func:`emit`), or None when
    the event carries no such record: the receiver then reads it."""
    held = event.about
    return held if isinstance(held, model) and held.pk == pk else None
