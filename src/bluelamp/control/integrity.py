"""Checking the incident logs' hash chains (``bluelamp verify-logs``).

Each incident's log is its own chain: every entry's hash covers its content and the previous
entry's hash, and the incident row records the newest hash and how many entries there are. So
a changed entry, a removed or inserted entry and removed newest entries are all found."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, Max, OuterRef, Q

from bluelamp.control.incidents.log import GENESIS_HASH, log_entry_hash
from bluelamp.control.models import Incident, IncidentLogEntry
from bluelamp.core import audit_checkpoints, audit_keys


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
    problem = _checkpoint_problem(batch_size)
    if problem:
        return LogReport(checked, incidents, None, None, problem)
    return LogReport(checked, incidents)


def _finish_incident(newest: IncidentLogEntry, count: int, checked: int, incidents: int) -> LogReport | None:
    incident = Incident.objects.filter(pk=newest.incident_id).first()
    problem = _head_problem(incident, newest, count)
    return LogReport(checked, incidents, newest, incident, problem) if problem else None


def _incident_whose_log_was_emptied() -> Incident | None:
    has_entries = IncidentLogEntry.objects.filter(incident=OuterRef("pk"))
    return Incident.objects.filter(log_length__gt=0).filter(~Exists(has_entries)).order_by("pk").first()


# Checkpoints (core/audit_checkpoints.py). Logs are many chains, so a checkpoint vouches for a
# running digest of every entry's hash in id order up to an entry: publishing continues from the
# last checkpoint, and verifying recomputes the digest from the start.

CHECKPOINT_CHAIN = "incident-log"
# Ids are given before commit: an entry is taken into a checkpoint only once any transaction
# that took a lower id has long finished, so a later commit cannot slip in below it.
SETTLED = timedelta(minutes=2)


def _running_digest(digest: str, entry_hashes: Iterable[str]) -> str:
    for entry_hash in entry_hashes:
        digest = hashlib.sha256(f"{digest}{entry_hash}".encode("ascii")).hexdigest()
    return digest


def _hashes_in_id_order(after: int, up_to: int, batch_size: int = 5000) -> Iterator[tuple[int, str]]:
    last = after
    while True:
        batch = list(
            IncidentLogEntry.objects.filter(pk__gt=last, pk__lte=up_to)
            .order_by("pk")
            .values_list("pk", "entry_hash")[:batch_size]
        )
        yield from batch
        if len(batch) < batch_size:
            return
        last = batch[-1][0]


def _checkpoint_head(now: datetime) -> dict[str, Any] | None:
    settled = IncidentLogEntry.objects.filter(at__lte=now - SETTLED).aggregate(newest=Max("pk"))["newest"]
    earlier = audit_checkpoints.published(CHECKPOINT_CHAIN)
    after, digest = (earlier[-1].entry_id, earlier[-1].body["digest"]) if earlier else (0, GENESIS_HASH)
    if settled is None or settled <= after:
        return None
    digest = _running_digest(digest, (entry_hash for _pk, entry_hash in _hashes_in_id_order(after, settled)))
    return {"entry_id": settled, "digest": digest}


audit_checkpoints.register(CHECKPOINT_CHAIN, _checkpoint_head)


def _checkpoint_problem(batch_size: int) -> str:
    """Why the logs no longer match a published checkpoint ('' when they do)."""
    try:
        checkpoints = audit_checkpoints.published(CHECKPOINT_CHAIN)
    except audit_checkpoints.BadCheckpoint as bad:
        return str(bad)
    digest, after = GENESIS_HASH, 0
    for checkpoint in checkpoints:
        entries = list(_hashes_in_id_order(after, checkpoint.entry_id, batch_size))
        digest = _running_digest(digest, (entry_hash for _pk, entry_hash in entries))
        if not hmac.compare_digest(digest, str(checkpoint.body.get("digest", ""))):
            return (
                f"the log entries up to entry {checkpoint.entry_id} are not those checkpoint "
                f"{checkpoint.path.name} vouched for: entries were changed, removed or added"
            )
        after = checkpoint.entry_id
    return ""
