"""Checking the incident logs' hash chains (``bluelamp verify-logs``).

Each incident's log is its own chain: every entry's hash covers its content and the previous
entry's hash, and the incident row records the newest hash and how many entries there are. So
a changed entry, a removed or inserted entry and removed newest entries are all found."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from bluelamp.control.models import Incident, IncidentLogEntry
from bluelamp.control.services import GENESIS_HASH, log_entry_hash
from bluelamp.core import audit_keys


@dataclass(frozen=True)
class LogReport:
    """What :func:`verify_logs` found; ``first_broken`` names the entry where a chain breaks
    (None when the chain is intact, or when every entry of an incident's log was removed)."""

    checked: int
    incidents: int
    first_broken: IncidentLogEntry | None = None
    incident: Incident | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return not self.reason


def _in_chain_order(batch_size: int) -> Iterator[IncidentLogEntry]:
    """Every entry, incident by incident and oldest first, read in keyset batches so that memory
    stays bounded however many logs there are."""
    last_incident, last_id = 0, 0
    while True:
        after = Q(incident_id__gt=last_incident) | Q(incident_id=last_incident, pk__gt=last_id)
        batch = list(IncidentLogEntry.objects.filter(after).order_by("incident_id", "pk")[:batch_size])
        yield from batch
        if len(batch) < batch_size:
            return
        last_incident, last_id = batch[-1].incident_id, batch[-1].pk


def _link_problem(entry: IncidentLogEntry, previous: IncidentLogEntry | None) -> str:
    name = f"log entry {entry.pk} of incident {entry.incident_id}"
    if entry.key_id == audit_keys.UNKEYED and previous is not None and previous.key_id != audit_keys.UNKEYED:
        # Entries written before keys exist only at the start: a later one was rewritten without the key.
        return f"{name} is not sealed with a key, unlike the entries before it"
    try:
        sealed = log_entry_hash(entry)
    except audit_keys.UnknownKey as unknown:
        return f"{name} is sealed with key {unknown.key_id!r}, which is not configured"
    if not hmac.compare_digest(sealed, entry.entry_hash):
        return f"{name} was changed after it was written"
    expected = previous.entry_hash if previous is not None else GENESIS_HASH
    if entry.previous_hash != expected:
        after = f"entry {previous.pk}" if previous is not None else "the start of the log"
        return f"log entry {entry.pk} of incident {entry.incident_id} does not follow {after}: entries were removed"
    return ""


def _head_problem(incident: Incident | None, newest: IncidentLogEntry, count: int) -> str:
    if incident is None:
        return f"log entry {newest.pk} belongs to incident {newest.incident_id}, which no longer exists"
    if incident.log_length != count or incident.last_log_hash != newest.entry_hash:
        return (
            f"{incident.reference} records {incident.log_length} log entries but {count} remain, ending at "
            f"entry {newest.pk}: entries after it were removed or replaced"
        )
    return ""


def verify_logs(*, batch_size: int = 5000, progress: Callable[[int], None] | None = None) -> LogReport:
    """Recompute every log entry's hash and its link to the entry before it, incident by
    incident, and check each incident's recorded head; name the first broken entry. Run it when
    nothing is being written, or accept that an incident changing meanwhile may be reported."""
    checked = incidents = count = 0
    previous: IncidentLogEntry | None = None
    for entry in _in_chain_order(batch_size):
        if previous is not None and entry.incident_id != previous.incident_id:
            report = _finish_incident(previous, count, checked, incidents)
            if report is not None:
                return report
            previous, count, incidents = None, 0, incidents + 1
        problem = _link_problem(entry, previous)
        if problem:
            return LogReport(checked, incidents, entry, entry.incident, problem)
        previous, count, checked = entry, count + 1, checked + 1
        if progress is not None and checked % batch_size == 0:
            progress(checked)
    if previous is not None:
        report = _finish_incident(previous, count, checked, incidents)
        if report is not None:
            return report
        incidents += 1
    emptied = _incident_whose_log_was_emptied()
    if emptied is not None:
        reason = f"{emptied.reference} records {emptied.log_length} log entries but none remain: they were removed"
        return LogReport(checked, incidents, None, emptied, reason)
    return LogReport(checked, incidents)


def _finish_incident(newest: IncidentLogEntry, count: int, checked: int, incidents: int) -> LogReport | None:
    incident = Incident.objects.filter(pk=newest.incident_id).first()
    problem = _head_problem(incident, newest, count)
    return LogReport(checked, incidents, newest, incident, problem) if problem else None


def _incident_whose_log_was_emptied() -> Incident | None:
    has_entries = IncidentLogEntry.objects.filter(incident=OuterRef("pk"))
    return Incident.objects.filter(log_length__gt=0).filter(~Exists(has_entries)).order_by("pk").first()
