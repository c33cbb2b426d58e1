"""Writes to the device register. Each move is one function with keyword-only arguments that
checks the actor's permission and force, checks the move against the lifecycle rules
(``lifecycle.py``), runs in one transaction, writes the audit entry and emits the event.

A device's custodian is personal data (who holds what): moves are audited as alterations of
the device record, issuing as a collection of the receiver's signature."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from bluelamp.core import audit
from bluelamp.core.access import Actor, require
from bluelamp.core.errors import Conflict, InvalidInput, NotFound
from bluelamp.core.events import emit
from bluelamp.core.models import Force, User
from bluelamp.mobility import lifecycle, selectors
from bluelamp.mobility.lifecycle import MoveNotAllowed
from bluelamp.mobility.mdm import LocalMdm, MdmAdapter
from bluelamp.mobility.models import (
    BuildStation,
    BuildStep,
    Custody,
    Device,
    DeviceCredential,
    DeviceModel,
    DeviceMove,
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


def acting_user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def own_force(actor: Actor, force_id: int) -> None:
    """Writes only ever go to the actor's own force; another force's devices are not there."""
    if actor.force_id != force_id:
        raise NotFound("No such device in your force's register.")


def _move(actor: Actor, device: Device, to_state: str, *, note: str = "", **payload: Any) -> Device:
    """Move ``device`` to ``to_state`` if the rules allow it, with its history, audit and event.
    Called inside the calling service's transaction."""
    own_force(actor, device.force_id)
    lifecycle.check_move(device.state, to_state)
    from_state, device.state = device.state, to_state
    if to_state not in OUT_WITH_SOMEONE:
        # Back on a shelf (or gone): nobody holds it, and the check-out is over.
        device.custodian = None
        _close_custody(device)
    device.save()
    DeviceMove.objects.create(
        device=device, from_state=from_state, to_state=to_state, at=timezone.now(), by=acting_user(actor), note=note
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
    own_force(actor, force.pk)
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
    own_force(actor, force.pk)
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
    emit("mobility.device.ordered", force=force, device_id=device.pk, serial_number=serial)
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
        device=device, station=station, kind=kind, passed=passed, notes=notes, at=timezone.now(), by=acting_user(actor)
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
        requested_by=acting_user(actor),
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
    own_force(actor, device.force_id)
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
