"""Reconciling the MDM's export with the register: what differs goes into a queue that a
device manager resolves. One function per write, keyword-only, in one transaction, audited
(the comparison combines the MDM's data with the register's) and with its event."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

from django.db import transaction
from django.utils import timezone

from bluelamp.core import audit
from bluelamp.core.access import Actor, require
from bluelamp.core.errors import Conflict, InvalidInput
from bluelamp.core.events import emit
from bluelamp.core.models import Force
from bluelamp.mobility import mdm
from bluelamp.mobility.models import Device, MdmFinding
from bluelamp.mobility.services import DEVICE, RECONCILE, acting_user, own_force

# MDM reconciliation -----------------------------------------------------------------------


@dataclass(frozen=True)
class Reconciliation:
    rows: int
    unknown: int
    silent: int
    custodian: int


@transaction.atomic
def reconcile_mdm_export(
    *, actor: Actor, force: Force, content: bytes, file_name: str, silent_after_days: int = 14
) -> Reconciliation:
    """Compare an MDM export with the register and queue what differs: devices the MDM knows and
    the register does not, issued devices silent for ``silent_after_days``, and devices whose MDM
    user is not their custodian. Open findings for the same device and kind are not repeated."""
    require(actor, RECONCILE)
    own_force(actor, force.pk)
    rows = mdm.read_export(content, file_name=file_name)
    now = timezone.now()
    register = {
        d.serial_number: d
        for d in Device.objects.filter(force=force, serial_number__in=[r.serial_number for r in rows]).select_related(
            "custodian__user"
        )
    }
    open_findings = set(MdmFinding.objects.filter(force=force, resolved_at=None).values_list("serial_number", "kind"))
    found: list[MdmFinding] = []

    def note(kind: str, row: mdm.MdmRow, device: Device | None, detail: str) -> None:
        if (row.serial_number, kind) not in open_findings:
            found.append(
                MdmFinding(
                    force=force, kind=kind, device=device, serial_number=row.serial_number, detail=detail, found_at=now
                )
            )

    for row in rows:
        device = register.get(row.serial_number)
        if device is None:
            note(
                MdmFinding.Kind.UNKNOWN,
                row,
                None,
                f"The MDM manages it (user {row.user or 'none'}); the register has no such serial number.",
            )
            continue
        if row.last_check_in is not None:
            device.last_seen_at = row.last_check_in
            device.save(update_fields=["last_seen_at"])
        if device.state == "issued":
            silent_for = (now - row.last_check_in).days if row.last_check_in else None
            if silent_for is None or silent_for >= silent_after_days:
                note(
                    MdmFinding.Kind.SILENT,
                    row,
                    device,
                    f"Issued, but silent for {silent_for if silent_for is not None else 'ever'} days.",
                )
            held_by = _sign_in_names(device)
            if row.user and row.user not in held_by:
                note(
                    MdmFinding.Kind.CUSTODIAN,
                    row,
                    device,
                    f"The MDM's user is {row.user}; the register's custodian is {device.custodian}.",
                )
    MdmFinding.objects.bulk_create(found)
    counts = Counter(f.kind for f in found)
    result = Reconciliation(
        len(rows), counts[MdmFinding.Kind.UNKNOWN], counts[MdmFinding.Kind.SILENT], counts[MdmFinding.Kind.CUSTODIAN]
    )
    audit.record(
        operation="combination",
        actor=actor,
        record_type=DEVICE,
        record_ids=[d.pk for d in register.values()],
        force=force,
        details={"mdm_export": file_name, "rows": len(rows), "findings": len(found)},
    )
    emit("mobility.mdm.reconciled", force=force, **asdict(result))
    return result


def _sign_in_names(device: Device) -> set[str]:
    """The names the custodian signs in with (user name and e-mail address), lower case."""
    user = device.custodian.user if device.custodian else None
    return {name.lower() for name in (user.get_username(), user.email) if name} if user else set()


@transaction.atomic
def resolve_finding(*, actor: Actor, finding: MdmFinding, resolution: str) -> MdmFinding:
    require(actor, RECONCILE)
    own_force(actor, finding.force_id)
    if finding.resolved_at is not None:
        raise Conflict("This finding is already resolved.")
    if not resolution.strip():
        raise InvalidInput("Say how the finding was resolved.")
    finding.resolved_at, finding.resolved_by, finding.resolution = (
        timezone.now(),
        acting_user(actor),
        resolution.strip()[:300],
    )
    finding.save()
    emit("mobility.mdm.finding_resolved", force=finding.force, finding_id=finding.pk, kind=finding.kind)
    return finding
