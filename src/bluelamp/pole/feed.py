"""Incident → POLE, with nothing typed twice: every incident of the control room becomes a POLE
event at its place as soon as the control room's transaction commits; a change of status keeps
the event open or closes it. That is what the history panels of later calls near the same place
show.

People are not created from callers' names here: a name alone is not an identity, and matching
on it would merge strangers (and show one person's warning markers against another). A person
is linked when someone confirms who they are, through POLE's own services.

The feed listens to the control room's outbox events (as the live screens do) and writes through
POLE's own services as the system client "Command and Control", which holds only what it needs.
It runs inside the control room's transaction, in a savepoint: the POLE copy exists exactly when
the incident does (nothing to lose if the process stops after the commit, and no second
transaction to wait for), and a failure here never undoes a call handler's work: it is rolled
back to the savepoint and logged, and feeding the incident again (``feed_incident``) is safe,
because every step is idempotent."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from bluelamp.control import rules
from bluelamp.control import selectors as control
from bluelamp.control.models import Incident
from bluelamp.core.access import ClientActor
from bluelamp.core.errors import DomainError
from bluelamp.core.events import about
from bluelamp.core.models import OutboxEvent
from bluelamp.pole import catalogue, services

logger = logging.getLogger(__name__)
SOURCE_SYSTEM = "control"
FEED_CLIENT = "Command and Control"
TOPICS = frozenset({"control.incident.created", "control.incident.status_changed"})
PERMISSIONS = frozenset(
    {
        "control.view_incident",
        "pole.add_event",
        "pole.change_event",
        "pole.add_location",
        "pole.add_link",
    }
)


def feed_actor(force_id: int) -> ClientActor:
    return ClientActor(token_id=0, name=FEED_CLIENT, force_id=force_id, permissions=PERMISSIONS)


@receiver(post_save, sender=OutboxEvent, dispatch_uid="pole-feed-from-control")
def _on_outbox_event(sender: type[OutboxEvent], instance: OutboxEvent, created: bool, **kwargs: Any) -> None:
    if created and instance.topic in TOPICS and instance.force_id is not None:
        incident_id = instance.payload.get("incident_id")
        if incident_id:
            incident_id = int(incident_id)
            _feed_quietly(instance.force_id, incident_id, about(instance, Incident, incident_id))


def _feed_quietly(force_id: int, incident_id: int, incident: Incident | None) -> None:
    try:  # feed_incident is atomic: inside the caller's transaction, a savepoint rolled back on failure
        feed_incident(force_id=force_id, incident_id=incident_id, incident=incident)
    except DomainError as error:
        logger.warning("POLE feed: incident %s not fed: %s", incident_id, error.message)
    except Exception:
        logger.exception("POLE feed: incident %s not fed", incident_id)


@transaction.atomic
def feed_incident(*, force_id: int, incident_id: int, incident: Incident | None = None) -> None:
    """Bring POLE's copy of the incident up to date: the event and its place. ``incident``: the
    control room's own copy, as its transaction holds it (else it is read)."""
    actor = feed_actor(force_id)
    if incident is None:
        incident = control.incident(actor=actor, incident_id=incident_id)
    location = None
    if incident.lat is not None and incident.lon is not None:
        location = services.find_or_create_location(
            actor=actor,
            force=incident.force,
            address=incident.address or f"{incident.lat:.5f}, {incident.lon:.5f}",
            lat=incident.lat,
            lon=incident.lon,
        )
    category = rules.nsir_categories().get(incident.opening_category)
    event = services.record_event(
        actor=actor,
        force=incident.force,
        kind=catalogue.INCIDENT,
        source_system=SOURCE_SYSTEM,
        source_id=str(incident.pk),
        occurred_at=incident.created_at,
        title=f"{incident.reference}: {category.name if category else incident.opening_category}",
        status=incident.get_status_display(),
        location=location,
        open=incident.status != incident.Status.CLOSED,
    )
    if location is not None:
        services.link(actor=actor, event=event, role="scene", location=location)
