"""The platform's first pages in a real browser: they work and pass axe (WCAG 2.2 A/AA)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from bluelamp.core.models import User
from tests.browser.support import axe_violations, describe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("path", ["/", "/sign-in/", "/accessibility", "/api/v1/docs", "/no-such-page"])
def test_page_has_no_accessibility_violations(page: Page, live_server: LiveServer, path: str) -> None:
    page.goto(live_server.url + path)
    if path == "/api/v1/docs":
        page.wait_for_selector("h1", state="attached")
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def test_sign_in_with_the_keyboard_and_sign_out(page: Page, live_server: LiveServer) -> None:
    User.objects.create_user(username="dispatcher1", password="a-long-test-password", first_name="Dee")
    page.goto(live_server.url + "/sign-in/")
    page.keyboard.press("Tab")  # skip link first, as on every GOV.UK-style page
    expect(page.locator(".govuk-skip-link")).to_be_focused()
    page.get_by_label("Username").fill("dispatcher1")
    page.get_by_label("Password").fill("a-long-test-password")
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator(".moj-header")).to_contain_text("Dee")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(live_server.url + "/sign-in/")


def test_a_wrong_password_shows_the_error_summary_accessibly(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/sign-in/")
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("There is a problem")
    expect(page).to_have_title("Error: Sign in — bluelamp")
    violations = axe_violations(page)
    assert violations == [], describe(violations)
