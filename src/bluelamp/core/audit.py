"""The audit trail of processing of personal data (Data Protection Act 2018, section 62).

Every collection, alteration, consultation, disclosure, combination and erasure of personal
data is recorded with who, when, which records, from where and — for consulting a person
record and for every disclosure — the justification given (and, for a disclosure, the
recipients). Entries are hash-chained: see :func:`verify_chain`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from bluelamp.core import requestcontext
from bluelamp.core.errors import InvalidInput
from bluelamp.core.models import AuditChainHead, AuditEntry, Force, User

Operation = AuditEntry.Operation
GENESIS_HASH = "0" * 64
# Record types whose consultation must carry a justification (apps add theirs here).
PERSON_RECORD_TYPES: set[str] = {"business.person", "pole.person", "core.auditentry"}


def _actor_parts(actor: Any) -> tuple[User | None, str, int | None]:
    if isinstance(actor, User):
        return actor, actor.get_username(), actor.force_id
    if actor is None:
        return None, "system", None
    return None, str(actor), getattr(actor, "force_id", None)


def entry_hash(entry: AuditEntry) -> str:
    """SHA-256 over the entry's content and the previous entry's hash."""
    content = {
        "at": entry.at.isoformat(),
        "operation": entry.operation,
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "force_id": entry.force_id,
        "record_type": entry.record_type,
        "record_ids": entry.record_ids,
        "justification": entry.justification,
        "recipients": entry.recipients,
        "request_id": entry.request_id,
        "ip_address": entry.ip_address,
        "details": entry.details,
        "previous_hash": entry.previous_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record(
    *,
    operation: str,
    actor: Any,
    record_type: str,
    record_ids: Iterable[Any],
    force: Force | None = None,
    justification: str = "",
    recipients: Sequence[str] = (),
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the audit trail, chained to the one before it."""
    if operation not in Operation.values:
        raise InvalidInput(f"{operation!r} is not an audit operation: use one of {', '.join(Operation.values)}.")
    justification = justification.strip()
    if operation == Operation.DISCLOSURE and not (justification and recipients):
        raise InvalidInput("A disclosure needs a justification and at least one recipient.")
    if operation == Operation.CONSULTATION and record_type in PERSON_RECORD_TYPES and not justification:
        raise InvalidInput("Say why you need to see this person's record before it is shown.")
    user, label, actor_force_id = _actor_parts(actor)
    context = requestcontext.current()
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
        entry = AuditEntry(
            at=timezone.now(),
            operation=operation,
            actor=user,
            actor_label=label,
            force_id=force.pk if force else actor_force_id,
            record_type=record_type,
            record_ids=[str(i) for i in record_ids],
            justification=justification,
            recipients=list(recipients),
            request_id=context.request_id,
            ip_address=context.ip_address,
            details=details or {},
            previous_hash=head.last_hash,
        )
        entry.entry_hash = entry_hash(entry)
        entry.save()
        head.last_hash, head.last_entry_id = entry.entry_hash, entry.pk
        head.save(update_fields=["last_hash", "last_entry_id"])
    return entry


@dataclass(frozen=True)
class ChainReport:
    checked: int
    first_broken: AuditEntry | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        return self.first_broken is None
