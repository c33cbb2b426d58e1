"""The device manager's screens in a real browser pass axe (WCAG 2.2 A/AA): the register, one
device, the factory board and its what-if, the allocation and its what-if, the MDM queue and
the benefits with their charts."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from bluelamp.core.models import Force, User
from bluelamp.mobility import planning
from bluelamp.mobility.models import Benefit, Device
from tests.browser.support import axe_violations, describe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert violations == [], describe(violations)


@pytest.fixture
def register(
    met: Force, manager: User, units: dict[str, Any], phone: Any, make_device: Callable[..., Device]
) -> Device:
    planning.save_requirement(
        actor=manager,
        force=met,
        requirement=planning.NewRequirement(
            unit=units["response"],
            role="Police Constable",
            model=phone,
            quantity=40,
            priority=1,
            benefit_per_device=Decimal("60"),
            business_group="Frontline Policing",
        ),
    )
    planning.save_funding_stream(actor=manager, force=met, name="Capital", kind="capital", amount=Decimal("8400"))
    planning.save_funding_stream(actor=manager, force=met, name="Revenue", kind="revenue", amount=Decimal("20000"))
    Benefit.objects.create(
        force=met,
        name="An hour a shift less at the station",
        business_group="Frontline Policing",
        measure="Hours at a station per shift",
        baseline=Decimal("2.6"),
        target=Decimal("1.6"),
        actual=Decimal("2.1"),
        owner="Programme board",
        due_on="2027-03-31",
    )
    make_device("received")
    return make_device("ready", iccid="8944100000000000009", phone_number="07700900009")


def sign_in(page: Page, live_server: LiveServer, user: User, next_path: str) -> None:
    page.goto(f"{live_server.url}/sign-in/?next={next_path}")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Sign in").click()


def test_the_device_managers_screens_are_accessible(
    page: Page, live_server: LiveServer, manager: User, register: Device
) -> None:
    sign_in(page, live_server, manager, "/devices/")
    expect(page.get_by_role("heading", name="Device register")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=register.serial_number).click()
    expect(page.get_by_role("heading", name="Report lost or stolen")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Factory").click()
    page.get_by_label("What if the factory built this many a day").fill("5")
    page.get_by_role("button", name="Forecast").click()
    expect(page.get_by_text("(what if)")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Allocation").click()
    page.get_by_label("Budget change (%)").fill("10")
    page.get_by_role("button", name="Allocate").click()
    expect(page.get_by_role("table", name="Units that miss out (1)")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="MDM reconciliation").click()
    assert_accessible(page)
    page.get_by_role("link", name="Benefits").click()
    expect(page.get_by_role("img", name="Progress to target of each Frontline Policing benefit")).to_be_visible()
    assert_accessible(page)
