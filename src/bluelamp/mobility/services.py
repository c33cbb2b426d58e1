"""Writes to the device register. Each move is one function with keyword-only arguments that
checks the actor's permission and force, checks the move against the lifecycle rules
(``lifecycle.py``), runs in one transaction, writes the audit entry and emits the event.

A device's custodian is personal data (who holds what): moves are audited as alterations of
the device record, issuing as a collection of the receiver's signature."""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from bluelamp.business import selectors as workforce
from bluelamp.core import audit
from bluelamp.core.access import Actor, require
from bluelamp.core.errors import Conflict, InvalidInput, NotFound
from bluelamp.core.events import emit
from bluelamp.core.models import Force, User
from bluelamp.mobility import lifecycle, mdm, selectors
from bluelamp.mobility.lifecycle import MoveNotAllowed
from bluelamp.mobility.mdm import LocalMdm, MdmAdapter
from bluelamp.mobility.models import (
    Benefit,
    BuildStation,
    BuildStep,
    Custody,
    Device,
    DeviceCredential,
    DeviceModel,
    DeviceMove,
    FundingStream,
    MdmFinding,
    Requirement,
    Sim,
    WipeRequest,
)

__all__ = ["MoveNotAllowed"]

DEVICE = "mobility.device"  # the audit trail's record type
MANAGE = "mobility.manage_devices"
RUN_FACTORY = "mobility.run_factory"
PLAN = "mobility.plan_allocation"
RECONCILE = "mobility.change_mdmfinding"
# States in which a device may still be with its custodian (the register's check constraint).
OUT_WITH_SOMEONE = frozenset({"issued", "in_repair", "lost", "stolen"})


def _user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def _own_force(actor: Actor, force_id: int) -> None:
    """Writes only ever go to the actor's own force; another force's devices are not there."""
    if actor.force_id != force_id:
        raise NotFound("No such device in your force's register.")


def _move(actor: Actor, device: Device, to_state: str, *, note: str = "", **payload: Any) -> Device:
    """Move ``device`` to ``to_state`` if the rules allow it, with its history, audit and event.
    Called inside the calling service's transaction."""
    _own_force(actor, device.force_id)
    lifecycle.check_move(device.state, to_state)
    from_state, device.state = device.state, to_state
    if to_state not in OUT_WITH_SOMEONE:
        # Back on a shelf (or gone): nobody holds it, and the check-out is over.
        device.custodian = None
        _close_custody(device)
    device.save()
    DeviceMove.objects.create(
        device=device, from_state=from_state, to_state=to_state, at=timezone.now(), by=_user(actor), note=note
    )
    audit.record(
        operation="alteration",
        actor=actor,
        record_type=DEVICE,
        record_ids=[device.pk],
        force=device.force,
        details={"from": from_state, "to": to_state, **({"note": note} if note else {}), **payload},
    )
    emit(
        f"mobility.device.{to_state}",
        force=device.force,
        about=device,
        device_id=device.pk,
        serial_number=device.serial_number,
        from_state=from_state,
        **payload,
    )
    return device


# The catalogue and the register --------------------------------------------------------------


@transaction.atomic
def add_device_model(
    *, actor: Actor, force: Force, name: str, kind: str, capital_cost: Decimal, running_cost: Decimal
) -> DeviceModel:
    require(actor, MANAGE)
    _own_force(actor, force.pk)
    if kind not in DeviceModel.Kind.values:
        raise InvalidInput(f"{kind!r} is not a kind of device: use one of {', '.join(DeviceModel.Kind.values)}.")
    if capital_cost < 0 or running_cost < 0:
        raise InvalidInput("A device's costs cannot be negative.")
    model, _ = DeviceModel.objects.update_or_create(
        force=force,
        name=name.strip(),
        defaults={"kind": kind, "capital_cost": capital_cost, "running_cost": running_cost},
    )
    emit("mobility.device_model.saved", force=force, device_model_id=model.pk, name=model.name)
    return model


@dataclass(frozen=True)
class NewDevice:
    """A device as it is ordered: what identifies it and who will pay for it."""

    model: DeviceModel
    serial_number: str
    imei: str = ""
    iccid: str = ""
    phone_number: str = ""
    cost_unit_id: int | None = None
    bcu_id: int | None = None
    priority: int = 3


@transaction.atomic
def order_device(*, actor: Actor, force: Force, new: NewDevice) -> Device:
    """Add a device to the register as ordered, with its SIM (a record of its own) if it has one."""
    require(actor, MANAGE)
    _own_force(actor, force.pk)
    if new.model.force_id != force.pk:
        raise InvalidInput("That device model belongs to another force: choose one of yours.")
    serial = new.serial_number.strip()
    if not serial:
        raise InvalidInput("A device needs its serial number.")
    if new.imei and not (new.imei.isdigit() and len(new.imei) in (15, 16)):
        raise InvalidInput(f"{new.imei!r} is not an IMEI: 15 digits (16 for an IMEISV).")
    sim = _sim(force, new.iccid, new.phone_number) if new.iccid else None
    try:
        with transaction.atomic():
            device = Device.objects.create(
                force=force,
                model=new.model,
                serial_number=serial,
                imei=new.imei,
                sim=sim,
                cost_unit_id=new.cost_unit_id,
                bcu_id=new.bcu_id,
                priority=new.priority,
            )
    except IntegrityError:
        raise Conflict(f"A device with serial number {serial} or IMEI {new.imei} is already registered.") from None
    audit.record(operation="collection", actor=actor, record_type=DEVICE, record_ids=[device.pk], force=force)
    emit("mobility.device.ordered", force=force, about=device, device_id=device.pk, serial_number=serial)
    return device


def _sim(force: Force, iccid: str, phone_number: str) -> Sim:
    iccid = iccid.strip()
    if not (iccid.isdigit() and 18 <= len(iccid) <= 22):
        raise InvalidInput(f"{iccid!r} is not an ICCID: 18 to 22 digits, printed on the SIM.")
    sim, _ = Sim.objects.get_or_create(force=force, iccid=iccid, defaults={"phone_number": phone_number})
    if Device.objects.filter(sim=sim).exists():
        raise Conflict(f"SIM {iccid} is already in another device: take it out of that one first.")
    return sim


@transaction.atomic
def receive_device(*, actor: Actor, device: Device) -> Device:
    require(actor, MANAGE)
    return _move(actor, device, "received")


# The factory ------------------------------------------------------------------------------


@transaction.atomic
def send_to_factory(*, actor: Actor, device: Device, note: str = "") -> Device:
    require(actor, RUN_FACTORY)
    return _move(actor, device, "in_factory", note=note)


@transaction.atomic
def record_build_step(
    *, actor: Actor, device: Device, station: BuildStation, kind: str, passed: bool, notes: str = ""
) -> BuildStep:
    """Record a build or test step. A passed build makes the device built, a passed test makes
    it tested; a failed step sends it back into the factory (from built or tested)."""
    require(actor, RUN_FACTORY)
    if station.force_id != device.force_id:
        raise InvalidInput("That build station belongs to another force.")
    if kind not in BuildStep.Kind.values:
        raise InvalidInput(f"{kind!r} is not a factory step: use 'build' or 'test'.")
    expected = "in_factory" if kind == BuildStep.Kind.BUILD else "built"
    if device.state != expected:
        raise MoveNotAllowed(
            f"A {kind} step needs a device that is {lifecycle.name_of(expected).lower()}; "
            f"this one is {lifecycle.name_of(device.state).lower()}."
        )
    step = BuildStep.objects.create(
        device=device, station=station, kind=kind, passed=passed, notes=notes, at=timezone.now(), by=_user(actor)
    )
    if passed:
        _move(actor, device, "built" if kind == BuildStep.Kind.BUILD else "tested", step_id=step.pk)
    elif kind == BuildStep.Kind.TEST:
        _move(actor, device, "in_factory", note=f"failed test: {notes}"[:200], step_id=step.pk)
    return step


@transaction.atomic
def mark_ready(*, actor: Actor, device: Device) -> Device:
    require(actor, MANAGE)
    return _move(actor, device, "ready")


# Custody -------------------------------------------------------------------------------


@transaction.atomic
def issue_device(*, actor: Actor, device: Device, person: Any, signed_name: str, signature: str) -> Custody:
    """Check a ready device out to ``person`` (from HR), who signs for it. The cost-owning unit
    does not change: who holds a device and who pays for it are kept apart."""
    require(actor, MANAGE)
    if person.force_id != device.force_id:
        raise InvalidInput("That person is in another force's workforce record.")
    if not signed_name.strip() or not signature.strip():
        raise InvalidInput("The receiver must sign for the device: give their signed name and signature.")
    device.custodian = person
    _move(actor, device, "issued", custodian_id=person.pk)
    return Custody.objects.create(
        device=device,
        person=person,
        checked_out_at=timezone.now(),
        signed_name=signed_name.strip(),
        signature=signature,
    )


@transaction.atomic
def return_device(*, actor: Actor, device: Device, condition: str = "") -> Custody:
    """Check an issued device back in; it is ready to issue again."""
    require(actor, MANAGE)
    custody = Custody.objects.filter(device=device, checked_in_at__isnull=True).first()
    _move(actor, device, "ready", note=condition[:200])
    if custody is None:
        raise Conflict("This device has no open check-out to close.")
    custody.checked_in_at, custody.condition_on_return = timezone.now(), condition[:200]
    custody.save()
    return custody


@transaction.atomic
def send_to_repair(*, actor: Actor, device: Device, fault: str) -> Device:
    require(actor, MANAGE)
    if not fault.strip():
        raise InvalidInput("Say what is wrong with the device.")
    return _move(actor, device, "in_repair", note=fault.strip()[:200])


@transaction.atomic
def dispose_device(*, actor: Actor, device: Device, reason: str) -> Device:
    require(actor, MANAGE)
    _close_custody(device)
    return _move(actor, device, "disposed", note=reason[:200])


def _close_custody(device: Device) -> None:
    Custody.objects.filter(device=device, checked_in_at__isnull=True).update(checked_in_at=timezone.now())


# Lost or stolen -----------------------------------------------------------------------------


@transaction.atomic
def report_lost(
    *, actor: Actor, device: Device, stolen: bool = False, circumstances: str = "", mdm: MdmAdapter | None = None
) -> WipeRequest:
    """A device is lost or stolen: its sign-ins stop at once (every credential revoked in this
    transaction), and a remote wipe is asked of the MDM and recorded."""
    require(actor, MANAGE)
    reason = "stolen" if stolen else "lost"
    _move(actor, device, reason, note=circumstances[:200])
    revoked = DeviceCredential.objects.filter(device=device, revoked_at__isnull=True).update(revoked_at=timezone.now())
    adapter = mdm or LocalMdm()
    reference = adapter.request_wipe(serial_number=device.serial_number, imei=device.imei, reason=reason)
    wipe = WipeRequest.objects.create(
        device=device,
        reason=reason,
        requested_at=timezone.now(),
        requested_by=_user(actor),
        adapter=adapter.name,
        reference=reference,
    )
    emit(
        "mobility.device.wipe_requested", force=device.force, device_id=device.pk, reference=reference, revoked=revoked
    )
    return wipe


@transaction.atomic
def confirm_wipe(*, actor: Actor, device: Device) -> Device:
    """The MDM reports the device wiped."""
    require(actor, MANAGE)
    WipeRequest.objects.filter(device=device, confirmed_at__isnull=True).update(confirmed_at=timezone.now())
    _close_custody(device)
    return _move(actor, device, "wiped")


# The officer app's device credential ---------------------------------------------------------


@transaction.atomic
def issue_device_credential(*, actor: Actor, device: Device) -> str:
    """A sign-in credential bound to an issued device, shown once (only its hash is kept):
    ``<key id>.<secret>``, installed in the officer app when the device is built for its user."""
    require(actor, MANAGE)
    _own_force(actor, device.force_id)
    if device.state != "issued":
        raise MoveNotAllowed("Only an issued device gets an officer-app credential: issue it to its user first.")
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    DeviceCredential.objects.create(
        device=device, key_id=key_id, secret_hash=selectors.credential_hash(secret), issued_at=timezone.now()
    )
    audit.record(
        operation="alteration",
        actor=actor,
        record_type=DEVICE,
        record_ids=[device.pk],
        force=device.force,
        details={"credential": key_id},
    )
    emit("mobility.device.credential_issued", force=device.force, device_id=device.pk, key_id=key_id)
    return f"{key_id}.{secret}"


# Factory stations, requirements and funding -----------------------------------------------------


@transaction.atomic
def save_build_station(
    *, actor: Actor, force: Force, name: str, capacity_per_day: int, active: bool = True
) -> BuildStation:
    require(actor, RUN_FACTORY)
    _own_force(actor, force.pk)
    if capacity_per_day < 0:
        raise InvalidInput("A station's capacity is the devices it builds and tests a working day: 0 or more.")
    station, _ = BuildStation.objects.update_or_create(
        force=force, name=name.strip(), defaults={"capacity_per_day": capacity_per_day, "active": active}
    )
    emit("mobility.build_station.saved", force=force, station_id=station.pk, capacity_per_day=capacity_per_day)
    return station


@dataclass(frozen=True)
class NewRequirement:
    unit: Any  # a business Unit, from business.selectors
    role: str
    model: DeviceModel
    quantity: int
    priority: int
    benefit_per_device: Decimal
    business_group: str
    needed_by: dt.date | None = None


@transaction.atomic
def save_requirement(*, actor: Actor, force: Force, requirement: NewRequirement) -> Requirement:
    """Set a unit's need for one device model in one role (replacing what was there)."""
    require(actor, PLAN)
    _own_force(actor, force.pk)
    r = requirement
    if r.unit.force_id != force.pk or r.model.force_id != force.pk:
        raise InvalidInput("The unit and the device model must both be your force's.")
    if not 1 <= r.priority <= 5:
        raise InvalidInput("Priority runs from 1 (most urgent) to 5.")
    if r.quantity < 0 or r.benefit_per_device < 0:
        raise InvalidInput("The quantity and the benefit per device cannot be negative.")
    saved, _ = Requirement.objects.update_or_create(
        unit=r.unit,
        role=r.role.strip(),
        model=r.model,
        defaults={
            "force": force,
            "quantity": r.quantity,
            "priority": r.priority,
            "benefit_per_device": r.benefit_per_device,
            "business_group": r.business_group.strip(),
            "needed_by": r.needed_by,
        },
    )
    emit("mobility.requirement.saved", force=force, requirement_id=saved.pk, unit_id=r.unit.pk, quantity=r.quantity)
    return saved


@dataclass(frozen=True)
class RoleKit:
    """The device a rank or grade gets, what one is worth to it, its priority and its group."""

    model: DeviceModel
    benefit_per_device: Decimal
    priority: int
    business_group: str


@transaction.atomic
def plan_requirements_from_workforce(
    *, actor: Actor, force: Force, kit: dict[str, RoleKit], needed_by: dt.date | None = None
) -> list[Requirement]:
    """Each unit's requirement from its people in the workforce record: so many devices of the
    kit's model for each rank or grade the kit names (the others need none)."""
    require(actor, PLAN)
    _own_force(actor, force.pk)
    units = {unit.pk: unit for unit in workforce.units(actor=actor, permission=PLAN)}
    saved = []
    for unit_id, ranks in selectors.requirement_by_role(actor=actor).items():
        for rank, people in sorted(ranks.items()):
            if rank in kit and unit_id in units:
                role = kit[rank]
                need = NewRequirement(
                    units[unit_id],
                    rank,
                    role.model,
                    people,
                    role.priority,
                    role.benefit_per_device,
                    role.business_group,
                    needed_by,
                )
                saved.append(save_requirement(actor=actor, force=force, requirement=need))
    return saved


@transaction.atomic
def save_funding_stream(
    *, actor: Actor, force: Force, name: str, kind: str, amount: Decimal, units: Sequence[Any] = ()
) -> FundingStream:
    """A funding stream and the units it may pay for (none: any unit)."""
    require(actor, PLAN)
    _own_force(actor, force.pk)
    if kind not in FundingStream.Kind.values:
        raise InvalidInput("A funding stream is capital (buying devices) or revenue (running them).")
    if amount < 0:
        raise InvalidInput("A funding stream's amount cannot be negative.")
    if any(unit.force_id != force.pk for unit in units):
        raise InvalidInput("A stream may only pay for your force's units.")
    stream, _ = FundingStream.objects.update_or_create(
        force=force, name=name.strip(), defaults={"kind": kind, "amount": amount}
    )
    stream.units.set(units)
    emit("mobility.funding_stream.saved", force=force, stream_id=stream.pk, amount=str(amount), kind=kind)
    return stream


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
    _own_force(actor, force.pk)
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
    _own_force(actor, finding.force_id)
    if finding.resolved_at is not None:
        raise Conflict("This finding is already resolved.")
    if not resolution.strip():
        raise InvalidInput("Say how the finding was resolved.")
    finding.resolved_at, finding.resolved_by, finding.resolution = (
        timezone.now(),
        _user(actor),
        resolution.strip()[:300],
    )
    finding.save()
    emit("mobility.mdm.finding_resolved", force=finding.force, finding_id=finding.pk, kind=finding.kind)
    return finding


# Benefits ------------------------------------------------------------------------------------


@transaction.atomic
def record_benefit_measure(*, actor: Actor, benefit: Benefit, actual: Decimal, measured_on: dt.date) -> Benefit:
    """Record what a benefit measured at ``measured_on``."""
    require(actor, "mobility.change_benefit")
    _own_force(actor, benefit.force_id)
    benefit.actual, benefit.measured_on = actual, measured_on
    benefit.save()
    emit("mobility.benefit.measured", force=benefit.force, benefit_id=benefit.pk, actual=str(actual))
    return benefit
