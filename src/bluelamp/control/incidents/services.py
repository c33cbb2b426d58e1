"""Writes for incidents: their status through the lifecycle (closing with its result, reopening).
Each state change is one function with keyword-only arguments that checks the actor's permission
and force, runs in one transaction, writes the incident log entry, and emits the event. Making an
incident from a contact is one of the contact's outcomes (``contacts.services``); THRIVE grading
is in ``grading``, the log in ``log``, CAD numbers in ``numbering``.

Every change to an incident takes ``expected_version`` — the version the operator was looking
at — and is refused with a Conflict when someone else changed the incident meanwhile (automation
may pass ``None``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from bluelamp.control import rules
from bluelamp.control.actors import own_force
from bluelamp.control.incidents.log import append_log_entry
from bluelamp.control.models import Incident, IncidentLogEntry
from bluelamp.core.access import Actor, require
from bluelamp.core.errors import Conflict, InvalidInput
from bluelamp.core.events import emit
from bluelamp.core.models import with_related

Kind = IncidentLogEntry.Kind
Status = Incident.Status


def lock_incident(actor: Actor, incident: Incident, expected_version: int | None) -> Incident:
    """The incident, locked for this transaction, if nobody changed it since ``expected_version``."""
    own_force(actor, incident.force_id)
    locked = with_related(Incident.objects.select_for_update(), "force").get(pk=incident.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(
            f"Someone else changed {locked.reference} (you had version {expected_version}, it is now "
            f"version {locked.version}): reload it and make your change again."
        )
    return locked


def save_new_version(incident: Incident, fields: list[str]) -> None:
    incident.version += 1
    incident.save(update_fields=[*fields, "version"])


TRANSITION_KINDS = {
    Status.RESOURCED: Kind.ASSIGNED,
    Status.AT_SCENE: Kind.ARRIVED,
    Status.CLOSED: Kind.CLOSED,
}


@transaction.atomic
def transition_incident(
    *,
    actor: Actor,
    incident: Incident,
    to: str,
    expected_version: int | None = None,
    note: str = "",
    closing_category: str = "",
    closing_qualifiers: list[str] | None = None,
    closing_result: str = "",
    position: str = "",
) -> Incident:
    """Move an incident along its lifecycle (open → resourced → at scene → closed; reopen →
    open). Closing needs the NSIR closing category and the result. Refused changes change nothing."""
    closing = to == Status.CLOSED
    reopening = to == Status.OPEN and incident.status == Status.CLOSED
    require(actor, "control.close_incident" if closing or reopening else "control.change_incident")
    if to not in Status.values:
        raise InvalidInput(f"{to!r} is not a status: use one of {', '.join(Status.values)}.")
    locked = lock_incident(actor, incident, expected_version)
    if to not in rules.NEXT_STATUSES[locked.status]:
        raise Conflict(_refusal(locked, to))
    changed = ["status"]
    now = timezone.now()
    if closing:
        changed += _close(locked, closing_category, closing_qualifiers or [], closing_result, now)
    if to == Status.RESOURCED and locked.resourced_at is None:
        locked.resourced_at, changed = now, [*changed, "resourced_at"]
    if to == Status.AT_SCENE and locked.first_arrived_at is None:
        locked.first_arrived_at, changed = now, [*changed, "first_arrived_at"]
    if reopening:
        locked.closed_at, changed = None, [*changed, "closed_at"]
    previous, locked.status = locked.status, to
    save_new_version(locked, changed)
    kind = Kind.REOPENED if reopening else TRANSITION_KINDS.get(Status(to), Kind.UPDATED)
    text = f"{Status(previous).label} → {Status(to).label}" + (f": {note.strip()}" if note.strip() else "")
    data: dict[str, Any] = {"from": previous, "to": to}
    if closing:
        data |= {"closing_category": locked.closing_category, "closing_result": locked.closing_result}
    append_log_entry(incident=locked, actor=actor, kind=kind, text=text, data=data, position=position)
    emit(
        "control.incident.status_changed",
        force=locked.force,
        incident_id=locked.pk,
        status=to,
        previous=previous,
    )
    return locked


def _refusal(incident: Incident, to: str) -> str:
    allowed = ", ".join(Status(s).label.lower() for s in sorted(rules.NEXT_STATUSES[incident.status]))
    current = Status(incident.status).label.lower()
    return f"{incident.reference} is {current}: it cannot become {Status(to).label.lower()} (it can become {allowed})."


def _close(incident: Incident, category: str, qualifiers: list[str], result: str, now: dt.datetime) -> list[str]:
    if not category or not result.strip():
        raise InvalidInput(
            f"To close {incident.reference} give the NSIR closing category and the result "
            "(the closing category may differ from the opening one)."
        )
    rules.check_category(category, qualifiers, what="closing category")
    incident.closing_category, incident.closing_qualifiers = category, qualifiers
    incident.closing_result, incident.closed_at = result.strip(), now
    return ["closing_category", "closing_qualifiers", "closing_result", "closed_at"]
