"""Force website pages and the platform charges page in Chromium: axe (WCAG 2.2 A/AA) finds
nothing on each page type, for two forces (one by hostname, one by /sites/<code>/)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from bluelamp.business.charging_demo import load_example_charging
from bluelamp.core.models import Force, Role, User
from bluelamp.core.services import seed_roles
from bluelamp.online.cms.models import ForceHomePage
from tests.browser.support import axe_violations, describe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = {
    "": "Home",
    "news/": "News and appeals",
    "advice/": "Advice",
    "contact/": "Contact us",
    "privacy/": "Privacy notice",
    "national-advice/protect-yourself-from-fraud/": "Protect yourself from fraud",
}
FORCE_PAGES = {
    "met": ["news/appeal-after-a-moped-enabled-phone-snatch-in-camden/", "advice/staying-safe-on-a-night-out/"],
    "thamesvalley": ["news/appeal-after-a-catalytic-converter-theft-in-reading/", "advice/rural-crime/"],
}


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{page.url}\n{describe(violations)}"


def site_root(live_server: LiveServer, code: str) -> str:
    if code == "met":  # by the force's own hostname (Chromium sends *.localhost to this machine)
        return live_server.url.replace("localhost", "met.localhost").replace("127.0.0.1", "met.localhost") + "/"
    return f"{live_server.url}/sites/{code}/"


@pytest.mark.parametrize("code", ["met", "thamesvalley"])
def test_every_page_type_is_accessible(
    page: Page, live_server: LiveServer, sites: dict[str, ForceHomePage], code: str
) -> None:
    root = site_root(live_server, code)
    for path, heading in PAGES.items():
        page.goto(root + path)
        if path:
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert_accessible(page)
    for path in FORCE_PAGES[code]:
        page.goto(root + path)
        expect(page.locator("h1")).to_be_visible()
        assert_accessible(page)
    page.goto(root)
    page.get_by_role("link", name="News and appeals", exact=True).first.click()
    expect(page).to_have_url(root + "news/")


def test_the_charging_page_is_accessible(page: Page, live_server: LiveServer, london: None) -> None:
    met = Force.objects.get(code="met")
    seed_roles(force=met)
    admin = User.objects.create_user(username="met-national", force=met, password="a-long-test-password")
    Role.objects.get(force=met, code="national_admin").members.add(admin)
    load_example_charging(actor=admin)
    page.goto(f"{live_server.url}/sign-in/?next=/finance/charging/%3Fyear%3D2026")
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Platform charges 2026/27")
    expect(page.get_by_role("row", name="Metropolitan Police Service")).to_contain_text("Capped")
    assert_accessible(page)
    page.get_by_role("button", name="Save the change").click()  # nothing filled in: errors
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose a force")
    assert_accessible(page)
