"""The officer app trusts a device registered here: a device-bound credential that stops
working the moment the device is reported lost or stolen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bluelamp.core.errors import PermissionDenied
from bluelamp.core.models import User
from bluelamp.mobility import selectors, services
from bluelamp.mobility.lifecycle import MoveNotAllowed
from bluelamp.mobility.models import Device, DeviceCredential

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(make_device: Callable[..., Device], manager: User, officer: Any) -> Device:
    device = make_device("ready")
    services.issue_device(actor=manager, device=device, person=officer, signed_name="A Specimen", signature="A.S.")
    return device


def test_an_issued_device_signs_in_with_its_credential(issued: Device, manager: User) -> None:
    credential = services.issue_device_credential(actor=manager, device=issued)
    assert selectors.device_sign_in(credential) == issued
    # Only the hash is kept.
    secret = credential.partition(".")[2]
    assert not DeviceCredential.objects.filter(secret_hash__contains=secret).exists()


def test_a_lost_devices_sign_ins_stop_working_at_once(issued: Device, manager: User) -> None:
    credential = services.issue_device_credential(actor=manager, device=issued)
    services.report_lost(actor=manager, device=issued, circumstances="Dropped on the bus")
    with pytest.raises(PermissionDenied, match="may not sign in"):
        selectors.device_sign_in(credential)


def test_a_found_device_needs_a_new_credential(issued: Device, manager: User) -> None:
    credential = services.issue_device_credential(actor=manager, device=issued)
    services.report_lost(actor=manager, device=issued)
    issued.refresh_from_db()
    # Lost -> ready (found before the wipe): the old credential stays revoked.
    services.mark_ready(actor=manager, device=issued)
    with pytest.raises(PermissionDenied):
        selectors.device_sign_in(credential)


def test_a_wrong_secret_or_unknown_key_cannot_sign_in(issued: Device, manager: User) -> None:
    credential = services.issue_device_credential(actor=manager, device=issued)
    key_id = credential.partition(".")[0]
    for attempt in (f"{key_id}.guess", "nokey.secret", ""):
        with pytest.raises(PermissionDenied):
            selectors.device_sign_in(attempt)


def test_only_an_issued_device_gets_a_credential(make_device: Callable[..., Device], manager: User) -> None:
    with pytest.raises(MoveNotAllowed, match="issue it to its user first"):
        services.issue_device_credential(actor=manager, device=make_device("ready"))
