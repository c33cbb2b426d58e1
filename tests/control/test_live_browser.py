"""The control-room screens in Chromium: they pass axe (WCAG 2.2 A/AA), and a change made on
one screen appears on another without a reload (server-sent events)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from bluelamp.control.incidents import grading
from bluelamp.control.models import Incident
from bluelamp.core.models import User
from bluelamp.core.services import load_gazetteer
from tests.browser.support import axe_violations, describe
from tests.control.conftest import TRAFALGAR_SQUARE, new_incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def sign_in(page: Page, live_server: LiveServer, user: User, next_path: str) -> None:
    page.goto(f"{live_server.url}/sign-in/?next={next_path}")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def second_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", timezone_id="Europe/London")
    other = context.new_page()
    other.set_default_timeout(10_000)
    yield other
    context.close()


def test_call_taking_queue_and_incident_pages_are_accessible(
    page: Page, live_server: LiveServer, handler: User
) -> None:
    lat, lon = TRAFALGAR_SQUARE
    load_gazetteer([{"name": "Trafalgar Square", "lat": str(lat), "lon": str(lon)}], source="test")
    sign_in(page, live_server, handler, "/control/contacts/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Take a call")
    assert_accessible(page)

    page.get_by_role("button", name="Save and continue").click()  # nothing typed: the error summary
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter what is happening")
    assert_accessible(page)

    page.get_by_label("What is happening").fill("Two men fighting")
    page.get_by_label("NSIR category").select_option("crime.violence")
    page.get_by_label("Address or place").fill("trafalgar sq")  # found by name: no coordinates typed
    page.get_by_label("Address or place").press("Enter")  # Enter in the address finds it
    expect(page.get_by_role("group", name="1 place matching “trafalgar sq”")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Trafalgar Square, Westminster").check()
    page.get_by_role("button", name="Use this place").click()
    expect(page.get_by_label("Latitude")).to_have_value(f"{TRAFALGAR_SQUARE[0]:.6f}")
    expect(page.get_by_label("What is happening")).to_have_value("Two men fighting")
    expect(page.get_by_role("heading", name="History at this place")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Check history at this place").click()
    expect(page.get_by_role("heading", name="History at this place")).to_be_visible()

    page.get_by_label("Caller's name").press("Enter")  # Enter anywhere else saves the call
    expect(page.get_by_role("heading", level=1)).to_contain_text("what happens next")
    assert_accessible(page)
    page.get_by_role("button", name="Create incident").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("created")
    assert_accessible(page)

    page.goto(f"{live_server.url}/control/incidents/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Incident queue")
    assert_accessible(page)


def test_a_point_chosen_on_the_map_fills_in_the_coordinates(page: Page, live_server: LiveServer, handler: User) -> None:
    sign_in(page, live_server, handler, "/control/contacts/new")
    expect(page.locator("#pick-map")).to_have_attribute("data-picker", "ready")
    page.locator("#pick-map").click(position={"x": 200, "y": 150})
    expect(page.locator("#pick-map-status")).to_contain_text("Map point set to")
    lat, lon = float(page.get_by_label("Latitude").input_value()), float(page.get_by_label("Longitude").input_value())
    assert 51.2 < lat < 51.8  # somewhere in London, where the map opens
    assert -0.6 < lon < 0.4
    expect(page.locator("#pick-map .leaflet-marker-icon")).to_have_count(1)
    assert_accessible(page)


def test_a_change_on_one_screen_appears_on_another(
    page: Page, second_page: Page, live_server: LiveServer, handler: User, dispatcher: User
) -> None:
    sign_in(page, live_server, dispatcher, "/control/incidents/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Incident queue")
    expect(page.locator("body")).to_have_attribute("data-live", "connected")

    # A call handler on another screen takes a call and makes it an incident.
    sign_in(second_page, live_server, handler, "/control/contacts/new")
    second_page.get_by_label("Address or place").fill("Trafalgar Square")
    second_page.get_by_label("What is happening").fill("Shop window smashed")
    second_page.get_by_label("NSIR category").select_option("crime.violence")
    second_page.get_by_role("button", name="Save and continue").click()
    second_page.get_by_role("button", name="Create incident").click()
    expect(second_page.locator(".govuk-notification-banner--success")).to_contain_text("created")
    made = Incident.objects.get()

    expect(page.locator("#queue")).to_contain_text(made.reference, timeout=5_000)
    expect(page.locator("#live-announcer")).to_contain_text(f"Incident {made.pk}", timeout=5_000)

    # The dispatcher opens it; the handler grades it on the other screen: the log follows.
    page.get_by_role("link", name=made.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(made.reference)
    expect(page.locator("body")).to_have_attribute("data-live", "connected")
    grading.assess_incident(
        actor=handler,
        incident=made,
        levels=dict.fromkeys(("threat", "harm", "risk", "investigation", "vulnerability", "engagement"), "low"),
    )
    expect(page.locator("#incident-log")).to_contain_text("THRIVE v1", timeout=5_000)
    expect(page.locator("#incident-live")).to_contain_text("Someone else changed this incident")
    assert_accessible(page)


def test_another_forces_screen_hears_nothing(
    page: Page, live_server: LiveServer, handler: User, city_handler: User
) -> None:
    sign_in(page, live_server, city_handler, "/control/incidents/")
    expect(page.locator("body")).to_have_attribute("data-live", "connected")
    new_incident(handler)  # the Met's: CAD 1 of today too, at Trafalgar Square
    new_incident(city_handler, where=(51.51380, -0.09840), address="St Paul's Churchyard")
    expect(page.locator("#queue")).to_contain_text("St Paul's Churchyard", timeout=5_000)
    expect(page.locator("#queue")).not_to_contain_text("Trafalgar Square")
