"""Dispatch listens to the outbox (events written in the same transaction as each change):

* ``control.incident.created``: tag the incident to running operations whose area holds it, in
  the same transaction (a failure is logged and never stops the incident being made);
* unit status, assignment and crew events: correct this process's index once the change
  commits;
* operation changes: re-read which units are reserved."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from bluelamp.core.events import about
from bluelamp.core.models import OutboxEvent
from bluelamp.dispatch import store

logger = logging.getLogger(__name__)

UNIT_TOPICS = {
    "control.unit.created",
    "control.unit.status_changed",
    "control.unit.assigned",
    "control.assignment.advanced",
}


@receiver(post_save, sender=OutboxEvent, dispatch_uid="bluelamp.dispatch.receivers")
def _on_outbox_event(sender: type[OutboxEvent], instance: OutboxEvent, created: bool, **kwargs: Any) -> None:
    if not created or instance.force_id is None:
        return
    topic, payload, force_id = instance.topic, instance.payload, instance.force_id
    if topic == "control.incident.created":
        _tag(instance)
    elif topic in UNIT_TOPICS and payload.get("unit_id"):
        transaction.on_commit(lambda: store.refresh_units(force_id, [payload["unit_id"]]), robust=True)
    elif topic == "control.unit.crew_changed" and payload.get("unit_id"):
        transaction.on_commit(lambda: store.refresh_capabilities(force_id, [payload["unit_id"]]), robust=True)
    elif topic == "control.incident.graded" and payload.get("incident_id"):
        transaction.on_commit(lambda: _refresh_units_on(force_id, payload["incident_id"]), robust=True)
    elif topic.startswith("dispatch.operation."):
        transaction.on_commit(lambda: store.refresh_reservations(force_id), robust=True)


def _tag(event: OutboxEvent) -> None:
    from bluelamp.control.models import Incident
    from bluelamp.dispatch import services

    incident_id = event.payload.get("incident_id")
    if incident_id is None:
        return
    try:
        with transaction.atomic():  # a savepoint: a failure here leaves the incident as it was
            services.tag_incident(incident_id=incident_id, incident=about(event, Incident, incident_id))
    except Exception:
        logger.exception("could not tag incident %s to pre-planned operations", incident_id)


def _refresh_units_on(force_id: int, incident_id: int) -> None:
    from bluelamp.control.models import Assignment

    if store.loaded(force_id) is None:
        return
    units = list(
        Assignment.objects.filter(incident_id=incident_id).exclude(state="cleared").values_list("unit_id", flat=True)
    )
    if units:
        store.refresh_units(force_id, units)
