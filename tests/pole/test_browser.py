"""The POLE pages in a real browser: the history panel, the justification step and a person's
details work with a keyboard user's flow and pass axe (WCAG 2.2 A/AA)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from bluelamp.core.models import User
from bluelamp.pole.models import Event
from tests.browser.support import axe_violations, describe
from tests.pole.conftest import HERE, Scene

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def sign_in(page: Page, live_server: LiveServer, user: User, next_path: str) -> None:
    page.goto(f"{live_server.url}/sign-in/?next={next_path}")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Sign in").click()


def test_history_then_justification_then_person_are_accessible(
    page: Page, live_server: LiveServer, handler: User, scene: Scene
) -> None:
    Event.objects.filter(pk=scene.incident.pk).update(occurred_at=timezone.now() - dt.timedelta(days=30))
    sign_in(page, live_server, handler, "/pole/history/")
    expect(page.get_by_role("heading", level=1)).to_have_text("History at the point of contact")
    assert_accessible(page)

    page.get_by_role("button", name="Show history").click()  # nothing given: the error summary
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a latitude")
    assert_accessible(page)

    page.get_by_label("Latitude").fill(str(HERE[0]))
    page.get_by_label("Longitude").fill(str(HERE[1]))
    page.get_by_role("button", name="Show history").click()
    expect(page.get_by_text("1 person (caller) with marker: Violence (review 3/2027)")).to_be_visible()
    expect(page.get_by_text("Specimen")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("link", name=f"Open details of person {scene.person.pk}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Why do you need to see this person's details?")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select why you need to see this record")
    assert_accessible(page)

    page.get_by_label("Dealing with a call or incident now").check()
    page.get_by_label("Give details").fill("Call 4711: checking the caller")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jo Specimen")
    assert_accessible(page)
