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
because every step is idempotent.

The event is keyed and titled by the incident's id and what happened, and POLE shows the CAD
reference by asking the control room for it when it shows the event (``_cad_references``)."""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import receiver

from bluelamp.control import rules
from bluelamp.control import selectors as control
from bluelamp.control.models import Incident
from bluelamp.core.access import ClientActor
from bluelamp.core.errors import DomainError
from bluelamp.core.events import about, emitted
from bluelamp.core.models import OutboxEvent
from bluelamp.pole import catalogue, services, sources

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


def _cad_references(force_id: int, source_ids: list[str]) -> dict[str, str]:
    """The CAD references of the force's incidents with these ids (POLE's ``source_id``)."""
    ids = [int(source_id) for source_id in source_ids if source_id.isdecimal()]
    numbered = Incident.objects.filter(force_id=force_id, pk__in=ids, cad_number__isnull=False)
    return {str(incident.pk): incident.reference for incident in numbered.only("cad_day", "cad_number")}


sources.register(SOURCE_SYSTEM, _cad_references)


def feed_actor(force_id: int) -> ClientActor:
    return ClientActor(token_id=0, name=FEED_CLIENT, force_id=force_id, permissions=PERMISSIONS)


@receiver(emitted, sender=OutboxEvent, dispatch_uid="pole-feed-from-control")
def _on_events(sender: type[OutboxEvent], events: list[OutboxEvent], **kwargs: Any) -> None:
    for event in events:
        incident_id = int(event.payload.get("incident_id") or 0) if event.topic in TOPICS else 0
        if incident_id and event.force_id is not None:
            _feed_quietly(event.force_id, incident_id, about(event, Incident, incident_id))


def _feed_quietly(force_id: int, incident_id: int, incident: Incident | None) -> None:
    try:  # the POLE service is atomic: inside the caller's transaction, a savepoint rolled back on failure
        feed_incident(force_id=force_id, incident_id=incident_id, incident=incident)
    except DomainError as error:
        logger.warning("POLE feed: incident %s not fed: %s", incident_id, error.message)
    except Exception:
        logger.exception("POLE feed: incident %s not fed", incident_id)


def feed_incident(*, force_id: int, incident_id: int, incident: Incident | None = None) -> None:
    """Bring POLE's copy of the incident up to date: the event and its place. ``incident``: the
    control room's own copy, as its transaction holds it (else it is read)."""
    actor = feed_actor(force_id)
    held = incident or control.incident(actor=actor, incident_id=incident_id)
    services.record_event_at_place(actor=actor, force=held.force, event=_event(held), place=_place(held))


def _place(incident: Incident) -> services.PlaceIn | None:
    if (lat := incident.lat) is None or (lon := incident.lon) is None:
        return None
    return services.PlaceIn(incident.address or f"{lat:.5f}, {lon:.5f}", lat, lon)


def _event(incident: Incident) -> services.EventIn:
    category = rules.nsir_categories().get(incident.opening_category)
    return services.EventIn(
        kind=catalogue.INCIDENT,
        source_system=SOURCE_SYSTEM,
        source_id=str(incident.pk),
        occurred_at=incident.created_at,
        title=category.name if category else incident.opening_category,
        status=incident.get_status_display(),
        open=incident.status != incident.Status.CLOSED,
    )
