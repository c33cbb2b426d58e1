"""The live control-room screens in Chromium: the resource board, the command view and the map
pass axe (WCAG 2.2 A/AA) and work from the keyboard; urgent assistance takes over two screens
at once and one acknowledgement clears both; and the issue 5 acceptance test — selecting an
incident on the map shows its recommended units, and assigning one updates the map and the
command view on another screen."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from bluelamp.control.models import Assignment, Resource
from bluelamp.control.units import urgent as urgent_services
from bluelamp.core.access import ClientActor
from bluelamp.core.models import Force, User
from tests.browser.support import axe_violations, describe
from tests.control.conftest import MakeUser, make_unit, new_incident, officer
from tests.control.test_live_browser import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("unit_reference_data"),
]

LONG_AGO = dt.date(2020, 1, 1)
NEAR_TRAFALGAR = (51.5090, -0.1281)
FARTHER = (51.5200, -0.1000)


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert violations == [], describe(violations)


@pytest.fixture
def other_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", timezone_id="Europe/London", viewport={"width": 1400, "height": 900})
    other = context.new_page()
    other.set_default_timeout(10_000)
    yield other
    context.close()


@pytest.fixture
def commander(met: Force, make_user: MakeUser) -> User:
    return make_user("silver.met", met, "command")


@pytest.fixture
def units(supervisor: User, met: Force) -> dict[str, Resource]:
    driver = {"RESPONSE_DRIVER": (LONG_AGO, None)}
    return {
        "MD21": make_unit(supervisor, "MD21", "IRV", officer(met, "Patel", skills=driver), bcu="CW"),
        "MD22": make_unit(supervisor, "MD22", "IRV", officer(met, "Jones", skills=driver), bcu="CW"),
        "NH11": make_unit(supervisor, "NH11", "FOOT", officer(met, "Brown"), bcu="CN"),
    }


def send_positions(force: Force, places: dict[Resource, tuple[float, float]]) -> None:
    """The force's AVL feed reports where units are (the dispatch app's batch intake)."""
    from bluelamp.dispatch import avl

    feed = ClientActor(token_id=0, name="AVL feed", force_id=force.pk, permissions=frozenset({avl.SEND_POSITIONS}))
    now = timezone.now().isoformat()
    items = [{"unit": u.call_sign, "at": now, "lat": p[0], "lon": p[1], "source": "avl"} for u, p in places.items()]
    result: Any = avl.ingest_positions(actor=feed, items=items)
    assert not getattr(result, "rejected", []), result


@pytest.fixture(autouse=True)
def _fresh_dispatch_index() -> Iterator[None]:
    from bluelamp.dispatch import avl, store

    store.forget()
    avl.forget_service_areas()
    yield
    store.forget()


def test_board_command_view_and_map_are_accessible_and_keyboard_operable(
    page: Page, live_server: LiveServer, supervisor: User, handler: User, units: dict[str, Resource], met: Force
) -> None:
    send_positions(met, {units["MD21"]: NEAR_TRAFALGAR, units["MD22"]: FARTHER})
    incident = new_incident(handler)
    sign_in(page, live_server, supervisor, "/control/units/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Resource board")
    expect(page.locator("body")).to_have_attribute("data-live", "connected")
    expect(page.locator(f"#unit-{units['MD21'].pk}")).to_contain_text("Current")  # AVL position
    expect(page.locator(f"#unit-{units['NH11'].pk}")).to_contain_text("Not known")
    assert_accessible(page)

    # Keyboard only: choose a status for MD22 and submit with Enter.
    page.get_by_label("New status for MD22").focus()
    page.get_by_label("New status for MD22").select_option("UNV")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Set MD22's status")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("MD22 is now UNV Unavailable.")
    assert_accessible(page)

    page.goto(f"{live_server.url}/control/command/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Command view")
    assert_accessible(page)
    page.goto(f"{live_server.url}/control/command/?wall=1")
    expect(page.locator("body")).to_have_class(re.compile(r"\bbl-wall\b"))
    assert_accessible(page)

    page.goto(f"{live_server.url}/control/map/")
    expect(page.locator("body")).to_have_attribute("data-map", "ready")
    expect(page.locator(".leaflet-marker-icon", has_text="MD21")).to_be_visible()
    assert_accessible(page)
    page.locator(f'[data-select-incident="{incident.pk}"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator("#selected-title")).to_be_focused()
    expect(page.locator("#recommended")).to_contain_text("MD21")
    assert_accessible(page)


def test_urgent_assistance_takes_over_two_screens_until_acknowledged(
    page: Page,
    other_page: Page,
    live_server: LiveServer,
    dispatcher: User,
    supervisor: User,
    handler: User,
    units: dict[str, Resource],
) -> None:
    sign_in(page, live_server, dispatcher, "/control/incidents/")
    sign_in(other_page, live_server, supervisor, "/control/units/?bcu=CW")
    for screen in (page, other_page):
        expect(screen.locator("body")).to_have_attribute("data-live", "connected")
        expect(screen.get_by_role("alertdialog")).to_have_count(0)

    alert = urgent_services.raise_urgent_assistance(actor=dispatcher, unit=units["MD21"]).alert

    for screen in (page, other_page):
        dialog = screen.get_by_role("alertdialog", name="Urgent assistance: MD21")
        expect(dialog).to_be_visible(timeout=5_000)
        expect(dialog).to_contain_text("needs help now")
        expect(screen.get_by_role("button", name="Acknowledge MD21")).to_be_focused()
    assert_accessible(page)

    # A screen opened while the alert is open shows it at once; another BCU's screen does not.
    other_page.goto(f"{live_server.url}/control/units/?bcu=CN")
    expect(other_page.get_by_role("alertdialog")).to_have_count(0)
    other_page.goto(f"{live_server.url}/control/units/?bcu=CW")
    expect(other_page.get_by_role("alertdialog", name="Urgent assistance: MD21")).to_be_visible()
    expect(other_page.locator("body")).to_have_attribute("data-live", "connected")

    page.keyboard.press("Escape")  # it cannot be waved away
    expect(page.get_by_role("alertdialog")).to_be_visible()
    page.keyboard.press("Enter")  # focus is on Acknowledge
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Urgent assistance for MD21")
    expect(page.get_by_role("alertdialog")).to_have_count(0)
    expect(other_page.get_by_role("alertdialog")).to_have_count(0, timeout=5_000)
    alert.refresh_from_db()
    assert alert.acknowledged_by == dispatcher


def test_selecting_on_the_map_shows_recommendations_and_assigning_updates_another_screen(
    page: Page,
    other_page: Page,
    live_server: LiveServer,
    dispatcher: User,
    commander: User,
    handler: User,
    units: dict[str, Resource],
    met: Force,
) -> None:
    send_positions(met, {units["MD21"]: NEAR_TRAFALGAR, units["MD22"]: FARTHER})
    incident = new_incident(handler)  # Trafalgar Square, not yet resourced

    sign_in(other_page, live_server, commander, "/control/command/?bcu=CW")
    expect(other_page.locator("body")).to_have_attribute("data-live", "connected")
    expect(other_page.locator('[data-figure="unresourced"]')).to_have_text("1")
    expect(other_page.locator('[data-figure="available"]')).to_have_text("2")

    sign_in(page, live_server, dispatcher, "/control/map/")
    expect(page.locator("body")).to_have_attribute("data-map", "ready")
    expect(page.locator("body")).to_have_attribute("data-live", "connected")
    expect(page.locator(".leaflet-marker-icon", has_text="MD21 AVL")).to_be_visible()

    # Select the incident on the map itself: its recommended units are listed and highlighted.
    page.locator(".leaflet-marker-icon", has_text=incident.reference.removeprefix("CAD ")).click()
    expect(page.locator("#selected-title")).to_have_text(f"Selected: {incident.reference}")
    recommended = page.locator("#recommended")
    expect(recommended.locator("tbody tr").first).to_contain_text("MD21")
    expect(recommended.locator("tbody tr").first).to_contain_text("Recommended")
    expect(page.locator("body")).to_have_attribute("data-recommended", f"{units['MD21'].pk} {units['MD22'].pk}")
    expect(page.locator("#map .bl-map-label--recommended", has_text="MD21")).to_be_visible()

    # One key assigns the recommendation.
    page.keyboard.press("a")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"MD21 assigned to {incident.reference}."
    )
    assert Assignment.objects.get().unit_id == units["MD21"].pk
    expect(page.locator("#selected-assigned")).to_contain_text("MD21")
    expect(page.locator(".leaflet-marker-icon", has_text="MD21 ASG")).to_be_visible()

    # The command view on the other screen follows without a reload.
    expect(other_page.locator('[data-figure="unresourced"]')).to_have_text("0", timeout=5_000)
    expect(other_page.locator('[data-figure="available"]')).to_have_text("1")
    assert_accessible(other_page)
