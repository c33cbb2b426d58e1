"""The audit search page in a real browser: signed in as an auditor, with the keyboard-visible
error summary and the results table, and no WCAG 2.2 A/AA violations (axe)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from bluelamp.core import audit
from bluelamp.core.models import Force, Role, User
from bluelamp.core.services import seed_roles
from tests.browser.support import axe_violations, describe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password"


@pytest.fixture
def auditor(london: None) -> User:
    met = Force.objects.get(code="met")
    seed_roles(force=met)
    user = User.objects.create_user(username="met.auditor", password=PASSWORD, force=met, first_name="Ada")
    Role.objects.get(force=met, code="auditor").members.add(user)
    audit.record(
        operation="disclosure",
        actor=user,
        record_type="business.person",
        record_ids=[17],
        justification="Court order 2026/17",
        recipients=["Crown Prosecution Service"],
    )
    return user


def sign_in(page: Page, live_server: LiveServer, user: User) -> None:
    page.goto(live_server.url + "/sign-in/?next=/audit/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + "/audit/")


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def test_the_audit_search_page_is_accessible_empty_with_errors_and_with_results(
    page: Page, live_server: LiveServer, auditor: User
) -> None:
    sign_in(page, live_server, auditor)
    expect(page.get_by_role("heading", name="Search the audit trail")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Record type").fill("business.person")
    page.get_by_label("Record id").fill("17")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_title("Error: Search the audit trail — bluelamp")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter the reason for this search")
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary
    assert_accessible(page)

    summary.get_by_role("link", name="Enter the reason for this search").click()
    expect(page.get_by_label("Reason for this search")).to_be_focused()
    page.get_by_label("Reason for this search").fill("SAR 2026/118")
    page.get_by_role("button", name="Search").click()
    table = page.get_by_role("table")
    expect(table).to_contain_text("Court order 2026/17")
    expect(table).to_contain_text("Crown Prosecution Service")
    expect(page.get_by_label("Record id")).to_have_value("17")  # the search stays filled in
    assert_accessible(page)
