"""Dispatch listens to the outbox (events written in the same transaction as each change):

* ``control.incident.created``: tag the incident to running operations whose area holds it, in
  the same transaction (a failure to tag is logged and never stops the incident being made: the
  tag's writes have a savepoint of their own; the read before them, which finds no operation
  for most calls, does not need one);
* unit status, assignment and crew events: correct this process's index once the change
  commits;
* operation changes: re-read which units are reserved."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.dispatch import receiver

from bluelamp.core.events import emitted
from bluelamp.core.models import OutboxEvent
from bluelamp.dispatch import store

logger = logging.getLogger(__name__)

UNIT_TOPICS = {
    "control.unit.created",
    "control.unit.status_changed",
    "control.unit.assigned",
    "control.assignment.advanced",
}


@receiver(emitted, sender=OutboxEvent, dispatch_uid="bluelamp.dispatch.receivers")
def _on_events(sender: type[OutboxEvent], events: list[OutboxEvent], **kwargs: Any) -> None:
    created = [event for event in events if event.topic == "control.incident.created" and event.force_id is not None]
    if created:
        _tag(created)
    for event in events:
        if event.force_id is not None:
            _on_event(event.topic, event.payload, event.force_id)


def _on_event(topic: str, payload: dict[str, Any], force_id: int) -> None:
    if topic in UNIT_TOPICS and payload.get("unit_id"):
        transaction.on_commit(lambda: store.refresh_units(force_id, [payload["unit_id"]]), robust=True)
    elif topic == "control.unit.crew_changed" and payload.get("unit_id"):
        transaction.on_commit(lambda: store.refresh_capabilities(force_id, [payload["unit_id"]]), robust=True)
    elif topic == "control.incident.graded" and payload.get("incident_id"):
        transaction.on_commit(lambda: _refresh_units_on(force_id, payload["incident_id"]), robust=True)
    elif topic.startswith("dispatch.operation."):
        transaction.on_commit(lambda: store.refresh_reservations(force_id), robust=True)


def _tag(events: list[OutboxEvent]) -> None:
    from bluelamp.control import selectors as control_selectors
    from bluelamp.dispatch import services

    wanted = [int(event.payload["incident_id"]) for event in events if event.payload.get("incident_id")]
    held = [getattr(event, "about", None) for event in events]  # as the emitting service held them
    try:
        known = control_selectors.incidents_by_id(wanted, held=held)  # those not held are read
        due = services.operations_holding([known[pk] for pk in wanted if pk in known])
        if due:  # most calls fall in no operation: reading that needs no savepoint
            with transaction.atomic():  # a savepoint: a failure here leaves the incidents as they were
                services.tag_to_operations(due)
    except Exception:
        logger.exception("could not tag incidents %s to pre-planned operations", wanted)


def _refresh_units_on(force_id: int, incident_id: int) -> None:
    from bluelamp.control import resource_selectors

    if store.loaded(force_id) is None:
        return
    units = resource_selectors.units_committed_to(incident_id)
    if units:
        store.refresh_units(force_id, units)
