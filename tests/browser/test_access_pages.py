"""Account, roles and API token pages, the lock-out page and the time-out warning, in Chromium
with axe (WCAG 2.2 A/AA)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from bluelamp.core import services
from bluelamp.core.models import Force, Role, User
from tests.browser.support import axe_violations, describe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-test-password"


@pytest.fixture
def force_admin() -> User:
    services.load_geography()
    met = Force.objects.get(code="met")
    services.seed_roles(force=met)
    user = User.objects.create_user(username="fa1", password=PASSWORD, force=met, first_name="Fay")
    Role.objects.get(force=met, code="force_admin").members.add(user)
    return user


def sign_in(page: Page, live_server: LiveServer, username: str = "fa1") -> None:
    page.goto(live_server.url + "/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + "/")


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def test_account_roles_and_tokens_pages_are_accessible(page: Page, live_server: LiveServer, force_admin: User) -> None:
    sign_in(page, live_server)
    page.get_by_role("link", name="Fay").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Roles and who has them").click()
    assert_accessible(page)
    page.get_by_role("link", name="Dispatcher").click()
    page.get_by_label("Give this role to (user name)").fill("fa1")
    page.get_by_role("button", name="Add person").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("You cannot change your own roles")
    assert_accessible(page)

    User.objects.create_user(username="fin1", password=PASSWORD, force=force_admin.force)
    page.goto(live_server.url + "/access/roles/")
    page.get_by_role("link", name="Finance", exact=True).click()
    page.get_by_label("Give this role to (user name)").fill("fin1")
    page.get_by_role("button", name="Add person").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("fin1 now has the role Finance")
    assert_accessible(page)

    page.goto(live_server.url + "/access/tokens/")
    page.get_by_label("Name").fill("ANPR feed")
    page.get_by_role("button", name="Make token").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()  # no permission chosen
    assert_accessible(page)
    page.get_by_label("Can view api token").check()
    page.get_by_role("button", name="Make token").click()
    expect(page.locator(".bl-secret")).to_contain_text("bl_")
    assert_accessible(page)


def test_lock_out_page_is_accessible(page: Page, live_server: LiveServer, force_admin: User) -> None:
    for _ in range(5):
        page.goto(live_server.url + "/sign-in/")
        page.get_by_label("Username").fill("fa1")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Too many attempts to sign in")).to_be_visible()
    assert_accessible(page)


def test_time_out_warning_lets_you_stay_signed_in(
    page: Page, live_server: LiveServer, force_admin: User, settings: Settings
) -> None:
    settings.BLUELAMP_IDLE_TIMEOUT = timedelta(seconds=123)  # the warning shows in the last 120
    sign_in(page, live_server)
    dialog = page.get_by_role("dialog", name="You're about to be signed out")
    expect(dialog).to_be_visible(timeout=15_000)
    assert_accessible(page)
    dialog.get_by_role("button", name="Stay signed in").click()
    expect(dialog).to_be_hidden()
