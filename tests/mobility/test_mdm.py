"""Reconciling an MDM export (Intune's CSV, Graph's JSON) with the register: unknown devices,
devices silent too long, and custodians who are not the MDM's user, queued to resolve."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from bluelamp.core.errors import InvalidInput
from bluelamp.core.models import Force, User
from bluelamp.mobility import mdm, reconciliation, selectors, services
from bluelamp.mobility.models import Device, MdmFinding

pytestmark = pytest.mark.django_db

INTUNE_HEADER = (
    "Device name,Managed by,Ownership,Compliance,OS,OS version,Last check-in,Primary user UPN,Serial number,IMEI\n"
)


def intune_csv(*rows: tuple[str, str, str, str]) -> bytes:
    lines = [
        f"PHONE-{serial},Intune,Corporate,Compliant,Android,14,{seen},{user},{serial},{imei}"
        for serial, imei, user, seen in rows
    ]
    return (INTUNE_HEADER + "\n".join(lines) + "\n").encode()


def iso(days_ago: int) -> str:
    return (timezone.now() - dt.timedelta(days=days_ago)).isoformat()


@pytest.fixture
def issued(make_device: Callable[..., Device], manager: User, officer: Any) -> Device:
    device = make_device("ready")
    services.issue_device(actor=manager, device=device, person=officer, signed_name="A Specimen", signature="A.S.")
    return device


def test_each_kind_of_difference_is_queued_once(issued: Device, manager: User, met: Force) -> None:
    export = intune_csv(
        (issued.serial_number, issued.imei, "someone.else@met.example", iso(30)),
        ("UNKNOWN1", "", "ghost@met.example", iso(1)),
    )
    result = reconciliation.reconcile_mdm_export(actor=manager, force=met, content=export, file_name="devices.csv")
    assert (result.rows, result.unknown, result.silent, result.custodian) == (2, 1, 1, 1)
    kinds = sorted(selectors.mdm_queue(actor=manager).values_list("kind", "serial_number"))
    assert kinds == [("custodian", issued.serial_number), ("silent", issued.serial_number), ("unknown", "UNKNOWN1")]
    # The same export again adds nothing while the findings are open.
    again = reconciliation.reconcile_mdm_export(actor=manager, force=met, content=export, file_name="devices.csv")
    assert (again.unknown, again.silent, again.custodian) == (0, 0, 0)


def test_a_device_seen_lately_by_its_custodian_is_in_order(issued: Device, manager: User, met: Force) -> None:
    export = intune_csv((issued.serial_number, issued.imei, "amira.specimen@met.example", iso(2)))
    result = reconciliation.reconcile_mdm_export(actor=manager, force=met, content=export, file_name="devices.csv")
    assert (result.unknown, result.silent, result.custodian) == (0, 0, 0)
    issued.refresh_from_db()
    assert issued.last_seen_at is not None
    assert (timezone.now() - issued.last_seen_at).days == 2


def test_graph_json_is_read_like_the_csv(issued: Device, manager: User, met: Force) -> None:
    export = json.dumps(
        {
            "value": [
                {"serialNumber": issued.serial_number, "userPrincipalName": "x@met.example", "lastSyncDateTime": iso(0)}
            ]
        }
    ).encode()
    result = reconciliation.reconcile_mdm_export(actor=manager, force=met, content=export, file_name="graph.json")
    assert (result.rows, result.custodian, result.silent) == (1, 1, 0)


def test_a_finding_is_resolved_with_what_was_done(issued: Device, manager: User, met: Force) -> None:
    export = intune_csv(("UNKNOWN1", "", "", iso(1)))
    reconciliation.reconcile_mdm_export(actor=manager, force=met, content=export, file_name="devices.csv")
    finding = MdmFinding.objects.get()
    reconciliation.resolve_finding(actor=manager, finding=finding, resolution="A trial device: retired in Intune")
    assert list(selectors.mdm_queue(actor=manager)) == []


def test_an_export_without_serial_numbers_is_refused_with_the_column_to_add() -> None:
    with pytest.raises(InvalidInput, match="Serial number"):
        mdm.read_export(b"Device name\nPHONE-1\n", file_name="devices.csv")
