"""The audit trail of processing of personal data (Data Protection Act 2018, section 62).

Every collection, alteration, consultation, disclosure, combination and erasure of personal
data is recorded with who, when, which records, from where and — for consulting a person
record and for every disclosure — the justification given (and, for a disclosure, the
recipients). Entries are hash-chained: see :func:`verify_chain`."""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connections, transaction
from django.db.models import Count, Max, QuerySet
from django.utils import timezone

from bluelamp.core import audit_checkpoints, audit_keys, requestcontext
from bluelamp.core.access import Actor, scoped
from bluelamp.core.errors import InvalidInput
from bluelamp.core.models import AuditChainHead, AuditEntry, Force, User, with_related

Operation = AuditEntry.Operation
GENESIS_HASH = "0" * 64
# Record types whose consultation must carry a justification (apps add theirs here).
PERSON_RECORD_TYPES: set[str] = {"business.person", "pole.person", "core.auditentry", "online.report"}


def _actor_parts(actor: Any) -> tuple[User | None, str, int | None]:
    if isinstance(actor, User):
        return actor, actor.get_username(), actor.force_id
    if actor is None:
        return None, "system", None
    return None, str(actor), getattr(actor, "force_id", None)


def _stored_ip(raw: str | None) -> str | None:
    """The address written the way the database hands it back (PostgreSQL's ``inet`` rewrites
    IPv6 text), so that the hash made now is the hash :func:`verify_chain` recomputes later.
    Something that is not an IP address is not recorded as one."""
    try:
        address = ipaddress.ip_address((raw or "").split("%")[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"::ffff:{address.ipv4_mapped}"
        if 2**16 <= int(address) < 2**32:
            # Deprecated IPv4-compatible form, which SQLite and PostgreSQL would each store in
            # their own spelling: keep the IPv4 address it carries.
            return str(ipaddress.IPv4Address(int(address)))
    return str(address)


def canonical_json(value: Any) -> str:
    """One spelling for the same content: sorted keys, no spaces, UTF-8 kept as is."""
    return audit_keys.canonical_json(value)


def entry_hash(entry: AuditEntry) -> str:
    """The seal (HMAC-SHA-256 under the entry's key) over the entry's content and the previous
    entry's hash. Raises audit_keys.UnknownKey when the entry's key is not configured."""
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
    return audit_keys.seal(content, key_id=entry.key_id)


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
    """Append one entry to the audit trail, chained to the one before it, in the caller's
    transaction (or one of its own)."""
    if operation not in Operation.values:
        raise InvalidInput(f"{operation!r} is not an audit operation: use one of {', '.join(Operation.values)}.")
    justification = justification.strip()
    if operation == Operation.DISCLOSURE and not (justification and recipients):
        raise InvalidInput("A disclosure needs a justification and at least one recipient.")
    if operation == Operation.CONSULTATION and record_type in PERSON_RECORD_TYPES and not justification:
        raise InvalidInput("Say why you need to see this person's record before it is shown.")
    user, label, actor_force_id = _actor_parts(actor)
    context = requestcontext.current()
    # No savepoint: the entry is part of its caller's transaction, which stands or falls whole.
    with transaction.atomic(savepoint=False):
        head = _locked_head()
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
            ip_address=_stored_ip(context.ip_address),
            details=details or {},
            key_id=audit_keys.current_key_id(),
            previous_hash=head.last_hash,
        )
        entry.entry_hash = entry_hash(entry)
        entry.save()
        head.last_hash, head.last_entry_id = entry.entry_hash, entry.pk
        head.save(update_fields=["last_hash", "last_entry_id"])
    return entry


def _locked_head() -> AuditChainHead:
    """The chain's head, locked until the transaction ends, so entries are chained one after
    another; made at the first entry ever."""
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
    return head


@dataclass(frozen=True)
class ChainReport:
    """What :func:`verify_chain` found. ``first_broken`` is None when the trail is intact, and
    also when no entry is left to name (every entry was removed): use ``intact``."""

    checked: int
    first_broken: AuditEntry | None = None
    reason: str = ""
    newest_hash: str = ""

    @property
    def intact(self) -> bool:
        return not self.reason


def in_id_order(entries: QuerySet[AuditEntry], *, batch_size: int = 5000) -> Iterator[AuditEntry]:
    """``entries`` oldest first, read in keyset batches: memory stays bounded however long the
    trail is, and no database cursor stays open between batches (so a streaming response or a
    connection pooler in transaction mode is safe)."""
    last_id = 0
    while True:
        batch = list(entries.filter(pk__gt=last_id).order_by("pk")[:batch_size])
        yield from batch
        if len(batch) < batch_size:
            return
        last_id = batch[-1].pk


def _when(entry: AuditEntry) -> str:
    return f"{timezone.localtime(entry.at):%Y-%m-%d %H:%M:%S}"


def _link_problem(entry: AuditEntry, previous: AuditEntry | None) -> str:
    """Why ``entry`` does not belong after ``previous`` in the chain ('' when it does)."""
    if entry.key_id == audit_keys.UNKEYED and previous is not None and previous.key_id != audit_keys.UNKEYED:
        # Entries written before keys exist only at the start: a later one was rewritten without the key.
        return f"entry {entry.pk} ({_when(entry)}) is not sealed with a key, unlike the entries before it"
    try:
        sealed = entry_hash(entry)
    except audit_keys.UnknownKey as unknown:
        return f"entry {entry.pk} ({_when(entry)}) is sealed with key {unknown.key_id!r}, which is not configured"
    if not hmac.compare_digest(sealed, entry.entry_hash):
        return f"entry {entry.pk} ({_when(entry)}) was changed after it was written"
    if previous is None and entry.previous_hash != GENESIS_HASH:
        return f"entry {entry.pk} ({_when(entry)}) is not the first entry written: earlier entries were removed"
    if previous is not None and entry.previous_hash != previous.entry_hash:
        return f"entry {entry.pk} does not follow entry {previous.pk}: an entry between them was removed or replaced"
    return ""


def _head_problem(newest: AuditEntry | None, head: AuditChainHead) -> str:
    """Why the newest entry checked is not the one the chain head records ('' when it is)."""
    if newest is None:
        if head.last_entry_id == 0:
            return ""
        return f"there are no entries, but the chain head records entry {head.last_entry_id}: entries were removed"
    if newest.pk != head.last_entry_id:
        return (
            f"entry {newest.pk} is the newest entry, but the chain head records entry {head.last_entry_id}: "
            f"the entries after {newest.pk} were removed"
        )
    if newest.entry_hash != head.last_hash:
        return f"entry {newest.pk} is not the entry the chain head records: it was replaced"
    return ""


def _entry_outside_chain() -> AuditEntry | None:
    """An entry newer than the chain head: written behind the application's back. The newest
    id is read before the head, and the head moves in the same transaction as each entry, so an
    entry written meanwhile through :func:`record` is never mistaken for one."""
    newest_id = AuditEntry.objects.aggregate(newest=Max("pk"))["newest"]
    head = AuditChainHead.objects.filter(pk=1).first()
    if newest_id is None or (head is not None and newest_id <= head.last_entry_id):
        return None
    return AuditEntry.objects.filter(pk__gt=head.last_entry_id if head else 0).order_by("pk").first()


def verify_chain(*, batch_size: int = 5000, progress: Callable[[int], None] | None = None) -> ChainReport:
    """Recompute every entry's hash and its link to the entry before it, oldest first, check
    that the newest entry is the one the chain head records, and that every published checkpoint
    (``audit_checkpoints``) still matches. Entries written while this runs are left for the next
    run. ``progress`` is called with the number checked after each batch."""
    try:
        vouched = {checkpoint.entry_id: checkpoint for checkpoint in audit_checkpoints.published(CHECKPOINT_CHAIN)}
    except audit_checkpoints.BadCheckpoint as bad:
        return ChainReport(checked=0, reason=str(bad))
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        if AuditEntry.objects.exists():
            return ChainReport(checked=0, reason="the chain head, which records the newest entry, was removed")
        head = AuditChainHead(last_hash=GENESIS_HASH, last_entry_id=0)
    checked, previous = 0, None
    for entry in in_id_order(AuditEntry.objects.filter(pk__lte=head.last_entry_id), batch_size=batch_size):
        problem = _link_problem(entry, previous) or _checkpoint_problem(entry, vouched.pop(entry.pk, None))
        if problem:
            return ChainReport(checked=checked, first_broken=entry, reason=problem)
        checked, previous = checked + 1, entry
        if progress is not None and checked % batch_size == 0:
            progress(checked)
    problem = _head_problem(previous, head) or _missing_checkpointed_entry(vouched, head)
    if problem:
        return ChainReport(checked=checked, first_broken=previous, reason=problem)
    stray = _entry_outside_chain()
    if stray is not None:
        reason = f"entry {stray.pk} ({_when(stray)}) is not in the chain: it was written behind the application's back"
        return ChainReport(checked=checked, first_broken=stray, reason=reason)
    return ChainReport(checked=checked, newest_hash=previous.entry_hash if previous else "")


# Checkpoints: the head, signed and published outside the database at an interval.

CHECKPOINT_CHAIN = "audit"


def _checkpoint_head(now: datetime) -> dict[str, Any] | None:
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None or head.last_entry_id == 0:
        return None
    return {"entry_id": head.last_entry_id, "entry_hash": head.last_hash}


audit_checkpoints.register(CHECKPOINT_CHAIN, _checkpoint_head)


def _checkpoint_problem(entry: AuditEntry, checkpoint: audit_checkpoints.Checkpoint | None) -> str:
    """Why ``entry`` is not the entry ``checkpoint`` vouched for ('' when it is, or none did)."""
    if checkpoint is None or hmac.compare_digest(checkpoint.body.get("entry_hash", ""), entry.entry_hash):
        return ""
    return (
        f"entry {entry.pk} ({_when(entry)}) is not the entry checkpoint {checkpoint.path.name} vouched for: "
        "the trail up to it was rewritten"
    )


def _missing_checkpointed_entry(unmatched: dict[int, audit_checkpoints.Checkpoint], head: AuditChainHead) -> str:
    """A checkpoint of an entry that was never reached: it was removed, with the head moved back."""
    for entry_id, checkpoint in sorted(unmatched.items()):
        return (
            f"checkpoint {checkpoint.path.name} vouches for entry {entry_id}, but the chain ends at entry "
            f"{head.last_entry_id} without it: entries were removed"
        )
    return ""


# Searching the trail (auditors). Every search is itself a consultation, recorded with the
# auditor's reason: see record_search.

VIEW_AUDIT = "core.view_audit"
AUDIT_RECORD_TYPE = "core.auditentry"


@dataclass(frozen=True)
class AuditSearch:
    """An auditor's filters. Empty values filter nothing."""

    record_type: str = ""
    record_id: str = ""
    username: str = ""
    operation: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def as_details(self) -> dict[str, str]:
        """The filters given, JSON-ready, for the audit entry of the search."""
        given = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return {name: value.isoformat() if isinstance(value, date) else value for name, value in given.items() if value}


def _mentioning(entries: QuerySet[AuditEntry], record_id: str) -> QuerySet[AuditEntry]:
    """Entries whose ``record_ids`` hold ``record_id`` (ids are stored as strings)."""
    if connections[entries.db].features.supports_json_field_contains:
        return entries.filter(record_ids__contains=[record_id])  # PostgreSQL: uses the GIN index
    # SQLite stores the list as JSON text: match the quoted, escaped id so 17 does not match 170.
    return entries.filter(record_ids__icontains=json.dumps(record_id))


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _by_user(entries: QuerySet[AuditEntry], username: str) -> QuerySet[AuditEntry]:
    user = User.objects.filter(username=username).first()
    if user is None:  # an API client or "system": only the label says who it was
        return entries.filter(actor__isnull=True, actor_label=username)
    return entries.filter(actor=user)


def search(actor: Actor, criteria: AuditSearch) -> QuerySet[AuditEntry]:
    """The entries ``actor`` may see (own force, or all forces for national roles) that match
    ``criteria``, newest first. Raises PermissionDenied without ``core.view_audit``."""
    entries = scoped(with_related(AuditEntry.objects.all(), "force"), actor, permission=VIEW_AUDIT)
    if criteria.record_type:
        entries = entries.filter(record_type=criteria.record_type)
    if criteria.record_id:
        entries = _mentioning(entries, criteria.record_id)
    if criteria.username:
        entries = _by_user(entries, criteria.username)
    if criteria.operation:
        entries = entries.filter(operation=criteria.operation)
    if criteria.date_from:
        entries = entries.filter(at__gte=_start_of(criteria.date_from))
    if criteria.date_to:
        entries = entries.filter(at__lt=_start_of(criteria.date_to + timedelta(days=1)))
    return entries.order_by("-pk")


def _record_consultation_of_trail(
    *, actor: Actor, force: Force | None, criteria: AuditSearch, reason: str, ids: Sequence[int], **details: Any
) -> AuditEntry:
    return record(
        operation=Operation.CONSULTATION,
        actor=actor,
        record_type=AUDIT_RECORD_TYPE,
        record_ids=ids,
        force=force,
        justification=reason,
        details={"filters": criteria.as_details(), **details},
    )


def record_search(
    *, actor: Actor, criteria: AuditSearch, reason: str, shown: Sequence[AuditEntry], **details: Any
) -> list[AuditEntry]:
    """Audit a page of search results: a consultation of the entries ``shown``, with the
    auditor's reason. One entry per force whose entries were shown, so that each force (each
    a controller of its own data) sees who read its trail, national auditors included."""
    by_force: dict[Force | None, list[int]] = {}
    for entry in shown:
        by_force.setdefault(entry.force, []).append(entry.pk)
    return [
        _record_consultation_of_trail(actor=actor, force=force, criteria=criteria, reason=reason, ids=ids, **details)
        for force, ids in (by_force or {None: []}).items()
    ]


def record_export(
    *, actor: Actor, criteria: AuditSearch, reason: str, exported: QuerySet[AuditEntry], **details: Any
) -> list[AuditEntry]:
    """Audit an export of ``exported`` (too many to list): the count per force, one entry per
    force as for :func:`record_search`."""
    counts = dict(exported.order_by().values_list("force").annotate(count=Count("pk")))
    forces = Force.objects.in_bulk([force_id for force_id in counts if force_id is not None])
    return [
        _record_consultation_of_trail(
            actor=actor,
            force=forces.get(force_id) if force_id is not None else None,
            criteria=criteria,
            reason=reason,
            ids=[],
            exported=count,
            **details,
        )
        for force_id, count in (counts or {None: 0}).items()
    ]
