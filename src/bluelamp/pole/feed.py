"""Incident → POLE, with nothing typed twice: every incident of the control room becomes a POLE
event at its place; a change of status keeps the event open or closes it. That is what the
history panels of later calls near the same place show.

People are not created from callers' names here: a name alone is not an identity, and matching
on it would merge strangers (and show one person's warning markers against another). A person
is linked when someone confirms who they are, through POLE's own services.

The feed is a consumer of the outbox (``pole.feed``, ``bluelamp.core.consumers``): it reads the
control room's committed incident events, the incident through the control room's selectors, and
writes through POLE's own services as the system client "Command and Control", which holds only
what it needs. A failure never touches the call handler's work (that has committed); the event
is tried again with backoff, and feeding an incident again is safe: every step is idempotent."""

from __future__ import annotations

from bluelamp.control import rules
from bluelamp.control.incidents import selectors as incident_selectors
from bluelamp.core import consumers
from bluelamp.core.access import ClientActor
from bluelamp.core.models import OutboxEvent
from bluelamp.pole import catalogue, services, sources

SOURCE_SYSTEM = "control"
FEED_CLIENT = "Command and Control"
CONSUMER = "pole.feed"
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
    found = incident_selectors.incident_references(actor=feed_actor(force_id), incident_ids=ids)
    return {str(pk): reference for pk, reference in found.items()}


sources.register(SOURCE_SYSTEM, _cad_references)


def feed_actor(force_id: int) -> ClientActor:
    return ClientActor(token_id=0, name=FEED_CLIENT, force_id=force_id, permissions=PERMISSIONS)


def _on_event(event: OutboxEvent) -> None:
    incident_id = int(event.payload.get("incident_id") or 0)
    if event.topic in TOPICS and incident_id and event.force_id is not None:
        feed_incident(force_id=event.force_id, incident_id=incident_id)


consumers.register(CONSUMER, topics=tuple(TOPICS), handle=_on_event)


def feed_incident(*, force_id: int, incident_id: int) -> None:
    """Bring POLE's copy of the incident up to date: the event and its place."""
    actor = feed_actor(force_id)
    incident = incident_selectors.incident(actor=actor, incident_id=incident_id)
    category = rules.nsir_categories().get(incident.opening_category)
    event = services.EventIn(
        kind=catalogue.INCIDENT,
        source_system=SOURCE_SYSTEM,
        source_id=str(incident.pk),
        occurred_at=incident.created_at,
        title=category.name if category else incident.opening_category,
        status=incident.get_status_display(),
        open=incident.status != incident.Status.CLOSED,
    )
    place = None
    if (lat := incident.lat) is not None and (lon := incident.lon) is not None:
        place = services.PlaceIn(incident.address or f"{lat:.5f}, {lon:.5f}", lat, lon)
    services.record_event_at_place(actor=actor, force=incident.force, event=event, place=place)
