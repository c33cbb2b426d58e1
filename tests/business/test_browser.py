"""The workforce pages in a real browser: the justification step, the record and the import
work with a keyboard user's flow and pass axe (WCAG 2.2 A/AA)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from bluelamp.business import services
from bluelamp.business.models import Person
from bluelamp.core.models import User
from tests.browser.support import axe_violations, describe
from tests.business.test_import import BASE_ROWS, changed, csv_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def sign_in(page: Page, live_server: LiveServer, user: User, next_path: str) -> None:
    page.goto(f"{live_server.url}/sign-in/?next={next_path}")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Sign in").click()


def test_justification_then_record_are_accessible(
    page: Page, live_server: LiveServer, hr: User, person: Person
) -> None:
    today = timezone.localdate()
    services.grant_authorisation(
        actor=hr, person=person, skill_code="TASER", valid_from=today, valid_until=today + dt.timedelta(days=12)
    )
    services.grant_authorisation(actor=hr, person=person, skill_code="RESPONSE_DRIVER", valid_from=today)
    sign_in(page, live_server, hr, f"/hr/people/{person.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Why do you need to see this record?")
    expect(page.get_by_text("Specimen")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("button", name="Continue").click()  # nothing chosen: the error summary
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select why you need to see this record")
    assert_accessible(page)

    page.get_by_label("Deployment or resourcing").check()
    page.get_by_label("Give details").fill("Checking Taser cover for rota 12")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Amira Specimen")
    expect(page.locator(".govuk-tag--red")).to_have_text("Expires in 12 days")
    expect(page.locator(".govuk-tag--green")).to_have_text("Current")
    assert_accessible(page)

    page.get_by_role("link", name="People", exact=True).click()
    expect(page.get_by_role("link", name="Specimen, Amira")).to_be_visible()
    assert_accessible(page)


def test_import_page_and_its_errors_are_accessible(
    page: Page, live_server: LiveServer, hr: User, met_units: object, tmp_path: Path
) -> None:
    sign_in(page, live_server, hr, "/hr/import/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import the workforce from HR")
    assert_accessible(page)

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(changed(3, unit_code="NOPE")))
    page.get_by_label("Upload the workforce extract (CSV)").set_input_files(bad)
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Row 3, unit_code")
    expect(page).to_have_title("Error: Import the workforce from HR — Workforce record — bluelamp")
    assert_accessible(page)

    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(BASE_ROWS))
    page.get_by_label("Upload the workforce extract (CSV)").set_input_files(good)
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("3 people added")
    assert_accessible(page)
    assert Person.objects.count() == 3
