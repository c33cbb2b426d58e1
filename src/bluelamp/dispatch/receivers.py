"""What dispatch does when something happens elsewhere:

* ``dispatch.operations``, a consumer of the outbox: each committed ``control.incident.created``
  is tagged to the running operations whose area holds it (a failure is retried, never dropped);
* ``dispatch.live``, a consumer of the outbox: each committed change of an operation becomes a
  notice on the live screens of those who may view operations;
* the live notices of unit status, assignment, crew, grading and operation changes — announced
  in whichever worker handled the event, heard in every worker — correct this worker's index."""

from __future__ import annotations

from bluelamp.control.incidents import selectors as incident_selectors
from bluelamp.core import consumers, live
from bluelamp.core.access import ClientActor
from bluelamp.core.models import OutboxEvent
from bluelamp.dispatch import services, store

OPERATIONS_CONSUMER = "dispatch.operations"
LIVE_CONSUMER = "dispatch.live"
OPERATION_PREFIX = "dispatch.operation."
UNIT_TOPICS = (
    "control.unit.created",
    "control.unit.status_changed",
    "control.unit.assigned",
    "control.assignment.advanced",
)


def tagging_actor(force_id: int) -> ClientActor:
    return ClientActor(
        token_id=0, name="Pre-planned operations", force_id=force_id, permissions=frozenset({"control.view_incident"})
    )


def _tag(event: OutboxEvent) -> None:
    incident_id = int(event.payload.get("incident_id") or 0)
    if event.topic != "control.incident.created" or not incident_id or event.force_id is None:
        return
    incident = incident_selectors.incident(actor=tagging_actor(event.force_id), incident_id=incident_id)
    due = services.operations_holding([incident])
    if due:  # most calls fall in no operation
        services.tag_to_operations(due)


def _announce_operation(event: OutboxEvent) -> None:
    if event.force_id is not None:
        data = {"operation_id": event.payload.get("operation_id")}
        live.announce(live.Notice(event.topic, event.force_id, "dispatch.view_operation", data))


consumers.register(OPERATIONS_CONSUMER, topics=("control.incident.created",), handle=_tag)
consumers.register(LIVE_CONSUMER, topics=(OPERATION_PREFIX,), handle=_announce_operation)


def _units_changed(notice: live.Notice) -> None:
    if unit_id := notice.data.get("unit_id"):
        store.refresh_units(notice.force_id, [unit_id])


def _crew_changed(notice: live.Notice) -> None:
    if unit_id := notice.data.get("unit_id"):
        store.refresh_capabilities(notice.force_id, [unit_id])


def _graded(notice: live.Notice) -> None:
    if incident_id := notice.data.get("incident_id"):
        store.refresh_units_on(notice.force_id, incident_id)


def _operation_changed(notice: live.Notice) -> None:
    store.refresh_reservations(notice.force_id)


for topic in UNIT_TOPICS:
    live.on_notice(topic, _units_changed)
live.on_notice("control.unit.crew_changed", _crew_changed)
live.on_notice("control.incident.graded", _graded)
live.on_notice(OPERATION_PREFIX, _operation_changed)
