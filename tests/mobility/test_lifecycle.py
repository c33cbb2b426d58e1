"""The device lifecycle: every move is a service with its history, audit entry and event;
moves the rules do not allow are refused with a message saying what is allowed."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from bluelamp.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bluelamp.core.models import AuditEntry, Force, OutboxEvent, User
from bluelamp.mobility import lifecycle, services
from bluelamp.mobility.lifecycle import MoveNotAllowed
from bluelamp.mobility.mdm import LocalMdm
from bluelamp.mobility.models import Custody, Device, DeviceMove, Sim

pytestmark = pytest.mark.django_db

MakeDevice = Callable[..., Device]


def test_the_rules_file_lists_the_lifecycle_of_the_business_case() -> None:
    spec = json.loads(lifecycle.LIFECYCLE_FILE.read_text())["states"]
    assert [s["code"] for s in spec] == [
        "ordered", "received", "in_factory", "built", "tested", "ready",
        "issued", "in_repair", "lost", "stolen", "wiped", "disposed",
    ]  # fmt: skip


def test_a_device_goes_through_the_factory_with_a_move_audit_entry_and_event_each(
    make_device: MakeDevice, manager: User
) -> None:
    device = make_device("ready")
    moves = list(DeviceMove.objects.filter(device=device).values_list("from_state", "to_state"))
    assert moves == [
        ("ordered", "received"),
        ("received", "in_factory"),
        ("in_factory", "built"),
        ("built", "tested"),
        ("tested", "ready"),
    ]
    audited = AuditEntry.objects.filter(record_type="mobility.device", record_ids=[str(device.pk)])
    assert audited.count() == 6  # the order (a collection) and five moves
    topics = list(OutboxEvent.objects.filter(topic__startswith="mobility.device.").values_list("topic", flat=True))
    assert topics[-1] == "mobility.device.ready"


@pytest.mark.parametrize(
    ("state", "move"),
    [
        ("ordered", "issue"),
        ("received", "ready"),
        ("in_factory", "ready"),
        ("ready", "wipe"),
    ],
)
def test_a_move_the_rules_do_not_allow_is_refused_and_changes_nothing(
    make_device: MakeDevice, manager: User, officer: Any, state: str, move: str
) -> None:
    device = make_device(state)
    before = DeviceMove.objects.count()
    attempts = {
        "issue": lambda: services.issue_device(
            actor=manager, device=device, person=officer, signed_name="A Specimen", signature="A.S."
        ),
        "ready": lambda: services.mark_ready(actor=manager, device=device),
        "wipe": lambda: services.confirm_wipe(actor=manager, device=device),
    }
    with pytest.raises(MoveNotAllowed) as refused:
        attempts[move]()
    assert f"A device that is {lifecycle.name_of(state).lower()} cannot become" in refused.value.message
    assert "it may become:" in refused.value.message
    assert isinstance(refused.value, Conflict)
    assert refused.value.status == 409
    device.refresh_from_db()
    assert device.state == state
    assert DeviceMove.objects.count() == before


def test_a_disposed_device_can_do_nothing_more(make_device: MakeDevice, manager: User) -> None:
    device = make_device("received")
    services.dispose_device(actor=manager, device=device, reason="Dead on arrival")
    with pytest.raises(MoveNotAllowed, match="end of its life"):
        services.send_to_factory(actor=manager, device=device)


def test_issuing_records_the_signature_and_keeps_the_custodian_apart_from_the_paying_unit(
    make_device: MakeDevice, manager: User, officer: Any, units: dict[str, Any]
) -> None:
    device = make_device("ready")
    custody = services.issue_device(
        actor=manager, device=device, person=officer, signed_name="Amira Specimen", signature="M 10 10 L 20 20"
    )
    device.refresh_from_db()
    assert (device.state, device.custodian_id, device.cost_unit_id) == ("issued", officer.pk, units["response"].pk)
    assert custody.signed_name == "Amira Specimen"
    assert custody.checked_in_at is None

    returned = services.return_device(actor=manager, device=device, condition="Scratched screen")
    device.refresh_from_db()
    assert device.state == "ready"
    assert device.custodian_id is None
    assert returned.checked_in_at is not None
    assert device.cost_unit_id == units["response"].pk  # returning does not change who pays


def test_issuing_without_a_signature_is_refused(make_device: MakeDevice, manager: User, officer: Any) -> None:
    device = make_device("ready")
    with pytest.raises(InvalidInput, match="must sign"):
        services.issue_device(actor=manager, device=device, person=officer, signed_name="Amira", signature=" ")
    device.refresh_from_db()
    assert device.state == "ready"
    assert not Custody.objects.exists()


def test_losing_a_device_asks_the_mdm_to_wipe_it_and_records_the_request(
    make_device: MakeDevice, manager: User, officer: Any
) -> None:
    device = make_device("ready")
    services.issue_device(actor=manager, device=device, person=officer, signed_name="A Specimen", signature="A.S.")
    mdm = LocalMdm()
    wipe = services.report_lost(actor=manager, device=device, stolen=True, circumstances="Taken from a car", mdm=mdm)
    device.refresh_from_db()
    assert device.state == "stolen"
    assert mdm.requests == [
        {"serial_number": device.serial_number, "imei": device.imei, "reason": "stolen", "reference": wipe.reference}
    ]
    assert (wipe.adapter, wipe.reason, wipe.confirmed_at) == ("local", "stolen", None)
    services.confirm_wipe(actor=manager, device=device)
    device.refresh_from_db()
    wipe.refresh_from_db()
    assert device.state == "wiped"
    assert device.custodian_id is None
    assert wipe.confirmed_at is not None
    assert Custody.objects.get(device=device).checked_in_at is not None


def test_a_sim_is_its_own_record_and_cannot_be_in_two_devices(make_device: MakeDevice) -> None:
    first = make_device(iccid="8944100000000000001", phone_number="07700900001")
    assert Sim.objects.get(iccid="8944100000000000001").device == first
    with pytest.raises(Conflict, match="already in another device"):
        make_device(iccid="8944100000000000001")


def test_a_serial_number_is_registered_once(met: Force, manager: User, phone: Any) -> None:
    services.order_device(actor=manager, force=met, new=services.NewDevice(model=phone, serial_number="X1"))
    with pytest.raises(Conflict, match="already registered"):
        services.order_device(actor=manager, force=met, new=services.NewDevice(model=phone, serial_number="X1"))


def test_a_bad_imei_or_iccid_is_refused_with_what_to_do(met: Force, manager: User, phone: Any) -> None:
    with pytest.raises(InvalidInput, match="15 digits"):
        services.order_device(
            actor=manager, force=met, new=services.NewDevice(model=phone, serial_number="X", imei="12")
        )
    with pytest.raises(InvalidInput, match="18 to 22 digits"):
        services.order_device(
            actor=manager, force=met, new=services.NewDevice(model=phone, serial_number="X", iccid="89")
        )


def test_without_the_role_or_in_another_force_a_move_is_refused(
    make_device: MakeDevice, city: Force, make_user: Any, met: Force
) -> None:
    device = make_device("ordered")
    with pytest.raises(PermissionDenied):
        services.receive_device(actor=make_user("someone", met, "response_officer"), device=device)
    with pytest.raises(NotFound):
        services.receive_device(actor=make_user("city.devices", city, "device_manager"), device=device)
    device.refresh_from_db()
    assert device.state == "ordered"


def test_a_repaired_device_can_be_issued_again(make_device: MakeDevice, manager: User, officer: Any) -> None:
    device = make_device("ready")
    services.issue_device(actor=manager, device=device, person=officer, signed_name="A Specimen", signature="A.S.")
    services.send_to_repair(actor=manager, device=device, fault="Cracked screen")
    services.mark_ready(actor=manager, device=device)
    services.issue_device(actor=manager, device=device, person=officer, signed_name="A Specimen", signature="A.S.")
    assert list(Custody.objects.filter(device=device).values_list("checked_in_at", flat=True).order_by("pk"))[1] is None
    assert Custody.objects.filter(device=device, checked_in_at__isnull=True).count() == 1
