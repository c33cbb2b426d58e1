"""The incident log: append-only entries chained by hash (each entry's hash covers the one
before), written by every change to an incident and by operators' own entries."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from bluelamp.control.actors import actor_label, actor_user, json_safe, own_force
from bluelamp.control.models import Incident, IncidentLogEntry
from bluelamp.core import audit_keys
from bluelamp.core.access import Actor, require
from bluelamp.core.errors import InvalidInput
from bluelamp.core.events import emit

Kind = IncidentLogEntry.Kind


GENESIS_HASH = "0" * 64


# The incident log -------------------------------------------------------------------------


def log_entry_hash(entry: IncidentLogEntry) -> str:
    """The seal (HMAC-SHA-256 under the entry's key, see core/audit_keys.py) over the entry's
    content and the previous entry's hash (of the same incident)."""
    content = {
        "incident_id": entry.incident_id,
        "at": entry.at.isoformat(),
        "operator_id": entry.operator_id,
        "operator_label": entry.operator_label,
        "position": entry.position,
        "kind": entry.kind,
        "text": entry.text,
        "data": entry.data,
        "corrects_id": entry.corrects_id,
        "previous_hash": entry.previous_hash,
    }
    return audit_keys.seal(content, key_id=entry.key_id)


def append_log_entry(
    *,
    incident: Incident,
    actor: Actor | None,
    kind: str,
    text: str,
    data: dict[str, Any] | None = None,
    position: str = "",
    corrects: IncidentLogEntry | None = None,
    new_incident: bool = False,
) -> IncidentLogEntry:
    """Chain one entry onto an incident's log. Callers hold the incident row's lock (services
    lock it first), so entries of one incident are chained one after another. ``new_incident``:
    the incident was made in this transaction, so nobody else can see it and its head is known."""
    with transaction.atomic(savepoint=False):  # part of the caller's transaction, whole or not at all
        head = (
            incident
            if new_incident
            else Incident.objects.select_for_update().only("log_length", "last_log_hash").get(pk=incident.pk)
        )
        entry = _log_entry(
            incident=incident,
            actor=actor,
            kind=kind,
            text=text,
            data=data,
            position=position,
            corrects=corrects,
            previous_hash=head.last_log_hash or GENESIS_HASH,
        )
        entry.save()
        Incident.objects.filter(pk=incident.pk).update(log_length=head.log_length + 1, last_log_hash=entry.entry_hash)
    incident.log_length, incident.last_log_hash = head.log_length + 1, entry.entry_hash
    return entry


def _log_entry(
    *,
    incident: Incident,
    actor: Actor | None,
    kind: str,
    text: str,
    data: dict[str, Any] | None,
    position: str,
    previous_hash: str,
    corrects: IncidentLogEntry | None = None,
) -> IncidentLogEntry:
    """The entry after ``previous_hash`` in ``incident``'s log, hashed, not yet saved."""
    entry = IncidentLogEntry(
        incident_id=incident.pk,
        at=timezone.now(),
        operator=actor_user(actor),
        operator_label=actor_label(actor),
        position=position.strip()[:60],
        kind=kind,
        text=text,
        data=json_safe(data or {}),
        corrects=corrects,
        previous_hash=previous_hash,
        key_id=audit_keys.current_key_id(),
    )
    entry.entry_hash = log_entry_hash(entry)
    return entry


@transaction.atomic
def add_log_entry(
    *,
    actor: Actor,
    incident: Incident,
    text: str,
    position: str = "",
    corrects: IncidentLogEntry | None = None,
) -> IncidentLogEntry:
    """An operator's free-text entry, or a correction of an earlier entry (which stays as it was).
    Notes do not conflict with each other, so no version is needed."""
    require(actor, "control.change_incident")
    own_force(actor, incident.force_id)
    if not text.strip():
        raise InvalidInput("A log entry needs some text.")
    if corrects is not None and corrects.incident_id != incident.pk:
        raise InvalidInput("A correction must refer to an entry of the same incident's log.")
    kind = Kind.CORRECTION if corrects is not None else Kind.TEXT
    data = {"corrects": corrects.pk} if corrects is not None else {}
    entry = append_log_entry(
        incident=incident, actor=actor, kind=kind, text=text.strip(), data=data, position=position, corrects=corrects
    )
    emit("control.incident.logged", force=incident.force, incident_id=incident.pk, entry_id=entry.pk, kind=kind)
    return entry
