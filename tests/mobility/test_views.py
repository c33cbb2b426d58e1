"""The device manager's screens answer with the force's own data; others get 403, and another
force's device is simply not there (404)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from bluelamp.core.models import Force, User
from bluelamp.mobility import planning, services
from bluelamp.mobility.models import Benefit, Device

pytestmark = pytest.mark.django_db

PAGES = ["/devices/", "/devices/factory/", "/devices/allocation/", "/devices/mdm/", "/devices/benefits/"]


@pytest.fixture
def planned(met: Force, manager: User, units: dict[str, Any], phone: Any) -> None:
    for unit, quantity, priority in ((units["response"], 40, 1), (units["arv"], 20, 2)):
        planning.save_requirement(
            actor=manager,
            force=met,
            requirement=planning.NewRequirement(
                unit=unit,
                role="Police Constable",
                model=phone,
                quantity=quantity,
                priority=priority,
                benefit_per_device=Decimal("60"),
                business_group="Frontline Policing",
            ),
        )
    planning.save_funding_stream(actor=manager, force=met, name="Capital", kind="capital", amount=Decimal("12600"))
    planning.save_funding_stream(actor=manager, force=met, name="Revenue", kind="revenue", amount=Decimal("50000"))
    Benefit.objects.create(
        force=met,
        name="Time away from the station",
        business_group="Frontline Policing",
        measure="Hours per shift",
        baseline=Decimal("0"),
        target=Decimal("1"),
        actual=Decimal("0.5"),
        owner="Chief Superintendent",
        due_on="2027-03-31",
    )


def test_the_device_manager_opens_every_screen(
    client: Client, manager: User, planned: None, make_device: Callable[..., Device]
) -> None:
    make_device("received")
    client.force_login(manager)
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 200, page
    allocation = client.get("/devices/allocation/").content.decode()
    # 12,600 buys 30 phones at 420: all go to the response team's priority-1 need (before the pool).
    assert "Units that miss out" in allocation
    assert "Armed response vehicles" in allocation
    assert "50%" in client.get("/devices/benefits/").content.decode()


def test_the_allocation_what_if_changes_the_budget(client: Client, manager: User, planned: None) -> None:
    client.force_login(manager)
    response = client.get("/devices/allocation/", {"budget_change": "-50", "contingency": "0", "fairness": "0"})
    assert response.status_code == 200
    assert "There is no allocation" not in response.content.decode()


def test_others_get_403_and_another_forces_device_is_not_there(
    client: Client, make_user: Any, met: Force, city: Force, make_device: Callable[..., Device]
) -> None:
    device = make_device()
    client.force_login(make_user("officer", met, "response_officer"))
    assert {client.get(page).status_code for page in PAGES} == {403}
    client.force_login(make_user("city.devices", city, "device_manager"))
    assert client.get(f"/devices/{device.pk}/").status_code == 404
    assert device.serial_number not in client.get("/devices/").content.decode()


def test_reporting_a_device_lost_on_its_page_stops_it(
    client: Client, manager: User, officer: Any, make_device: Callable[..., Device]
) -> None:
    device = make_device("ready")
    services.issue_device(actor=manager, device=device, person=officer, signed_name="A Specimen", signature="A.S.")
    client.force_login(manager)
    response = client.post(f"/devices/{device.pk}/", {"stolen": "yes", "circumstances": "Car broken into"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.state == "stolen"
    assert device.wipe_requests.count() == 1
