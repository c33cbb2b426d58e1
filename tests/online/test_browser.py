"""Every page of every report journey, the confirmation and tracking pages in Chromium: axe
(WCAG 2.2 A/AA) finds nothing, with and without errors; and the crime journey completed with
the keyboard only. One browser context for the module: the machine is slow."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from bluelamp.core.services import load_gazetteer
from bluelamp.online.catalogue import Question, catalogue
from bluelamp.online.demo import seed_demo
from bluelamp.online.models import Report, SentMessage
from bluelamp.online.samples import BANK_STATION, sample_post
from tests.browser.support import axe_violations, describe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SEEN_ERRORS: set[str] = set()  # question types whose error state has been checked


@pytest.fixture(scope="module")
def shared(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB", timezone_id="Europe/London")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def site(shared: Page, live_server: LiveServer, london: None) -> Page:
    seed_demo()
    shared.context.clear_cookies()
    return shared


def accessible(page: Page, what: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{what}: {describe(violations)}"


def fill(page: Page, question: Question, data: dict[str, Any]) -> None:
    if question.type in {"radios", "yes_no"}:
        page.locator(f'input[name="answer"][value="{data["answer"]}"]').check()
    elif question.type == "checkboxes":
        for value in data["answer"]:
            page.locator(f'input[name="answer"][value="{value}"]').check()
    else:
        for name, value in data.items():
            page.locator(f'[name="{name}"]').fill(str(value))


def walk(page: Page, base: str, slug: str, choose: dict[str, str] | None = None, place: Any = None) -> None:
    """From the danger check to 'Check your answers', checking every page on the way."""
    journey = catalogue().journey(slug)
    assert journey is not None
    page.goto(f"{base}/report/{slug}/")
    accessible(page, f"{slug}: danger check")
    page.get_by_label("No").check()
    page.get_by_role("button", name="Continue").click()
    for _ in range(40):
        path = page.url.split("/report/", 1)[1]
        if path.endswith("/check/"):
            return
        if path.endswith("/other-force/"):
            accessible(page, f"{slug}: other force")
            page.get_by_role("button", name="Continue").click()
            continue
        question = journey.question(path.rstrip("/").rsplit("/", 1)[-1])
        assert question is not None, page.url
        expect(page.locator(".govuk-exit-this-page")).to_be_visible()
        expect(page.locator(".govuk-exit-this-page__indicator")).to_have_count(1)  # its script ran
        accessible(page, f"{slug}: {question.id}")
        if question.required and question.type not in SEEN_ERRORS and question.type != "evidence":
            SEEN_ERRORS.add(question.type)
            page.get_by_role("button", name="Continue").click()
            expect(page.locator(".govuk-error-summary")).to_be_visible()
            accessible(page, f"{slug}: {question.id} with errors")
        fill(page, question, sample_post(question, choose=choose, place=place))
        page.get_by_role("button", name="Continue").click()
    raise AssertionError("never reached check your answers")


def send(page: Page) -> str:
    accessible(page, "check your answers")
    page.get_by_role("button", name="Send report").click()
    expect(page.locator(".govuk-panel--confirmation")).to_be_visible()
    accessible(page, "confirmation")
    return page.locator(".govuk-panel__body strong").inner_text()


@pytest.mark.parametrize(
    ("slug", "choose"),
    [
        ("crime", {"victim": "someone_else"}),
        ("asb", {}),
        ("road-traffic", {"injured": "no"}),
        ("lost-found", {"lost_or_found": "found"}),
    ],
)
def test_every_page_of_the_journey_is_accessible(
    site: Page, live_server: LiveServer, slug: str, choose: dict[str, str]
) -> None:
    base = f"{live_server.url}/sites/met"
    walk(site, base, slug, choose=choose)
    reference = send(site)
    assert Report.objects.filter(reference=reference).exists()


def test_stop_pages_index_and_privacy_are_accessible(site: Page, live_server: LiveServer) -> None:
    base = f"{live_server.url}/sites/met"
    for path, heading in [
        ("/report/", "Report to Metropolitan Police Service"),
        ("/report/privacy/", "How we use your information"),
    ]:
        site.goto(base + path)
        expect(site.get_by_role("heading", level=1)).to_contain_text(heading)
        accessible(site, path)
    site.goto(f"{base}/report/crime/")
    site.get_by_role("button", name="Continue").click()  # nothing chosen: the error
    accessible(site, "danger check with errors")
    site.get_by_label("Yes").check()
    site.get_by_role("button", name="Continue").click()
    expect(site.get_by_role("heading", level=1)).to_have_text("Call 999 now")
    accessible(site, "call 999")
    site.goto(f"{base}/report/crime/")
    site.get_by_label("No").check()
    site.get_by_role("button", name="Continue").click()
    site.get_by_label("Fraud or a scam").check()
    site.get_by_role("button", name="Continue").click()
    expect(site.get_by_role("heading", level=1)).to_have_text("Report fraud to Action Fraud")
    accessible(site, "fraud signpost")
    site.goto(f"{base}/report/crime/crime_type/")
    site.get_by_label("Theft").check()
    site.get_by_role("button", name="Continue").click()
    site.get_by_label("Me", exact=True).check()
    site.get_by_role("button", name="Continue").click()
    site.get_by_label("Address or place").fill("Nowhere Lane")
    site.get_by_role("button", name="Find this place").click()
    expect(site.locator(".govuk-error-summary")).to_contain_text("We could not find “Nowhere Lane”")
    accessible(site, "find a place: nothing found")
    load_gazetteer([{"name": "Bank station", "lat": "51.5133", "lon": "-0.0886"}], source="test")
    site.get_by_label("Address or place").fill("bank stn")
    site.get_by_role("button", name="Find this place").click()
    expect(site.get_by_role("group", name="1 place found")).to_be_visible()
    accessible(site, "find a place: places found")
    site.get_by_role("button", name="Use this place").click()
    expect(site.get_by_label("Latitude (optional)")).to_have_value("51.5133")
    site.get_by_label("Address or place").fill("Oxford")
    site.get_by_label("Latitude (optional)").fill("51.752")
    site.get_by_label("Longitude (optional)").fill("-1.2577")
    site.get_by_label("Longitude (optional)").press("Enter")  # Enter continues; it does not search
    expect(site.get_by_role("heading", level=1)).to_have_text("This place is outside the areas we cover")
    accessible(site, "outside the area")


def test_a_report_at_bank_goes_to_the_city_and_tracking_pages_are_accessible(
    site: Page, live_server: LiveServer
) -> None:
    base = f"{live_server.url}/sites/met"
    walk(site, base, "lost-found", place=BANK_STATION)
    reference = send(site)
    assert reference.startswith("CITY-")
    code = SentMessage.objects.get(report__reference=reference).body.split("Your tracking code is ")[1].split()[0]
    site.goto(f"{base}/report/track/")
    accessible(site, "track")
    site.get_by_role("button", name="Continue").click()
    expect(site.locator(".govuk-error-summary")).to_be_visible()
    accessible(site, "track with errors")
    site.get_by_label("Reference number").fill(reference)
    site.get_by_label("Tracking code").fill(code)
    site.get_by_role("button", name="Continue").click()
    expect(site.get_by_role("heading", level=1)).to_have_text(f"Your report {reference}")
    assert "/track/report/" in site.url
    assert reference not in site.url
    accessible(site, "track status")
    site.get_by_role("button", name="Add to your report").click()
    accessible(site, "add information with errors")
    site.get_by_label("What do you want to add?").fill("It was a brown leather wallet")
    site.get_by_role("button", name="Add to your report").click()
    expect(site.locator(".govuk-notification-banner--success")).to_be_visible()
    accessible(site, "information added")


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until ``selector`` has the focus (as a keyboard user would)."""
    for _ in range(60):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def keyboard_answer(page: Page, question: Question, data: dict[str, Any]) -> None:
    if question.type in {"radios", "yes_no"}:
        values = [o.value for o in question.options]
        tab_to(page, 'input[name="answer"]')
        page.keyboard.press("Space")
        for _ in range(values.index(data["answer"])):
            page.keyboard.press("ArrowDown")
        expect(page.locator(f'input[name="answer"][value="{data["answer"]}"]')).to_be_checked()
    elif question.type == "checkboxes":
        tab_to(page, f'input[name="answer"][value="{data["answer"][0]}"]')
        page.keyboard.press("Space")
    elif question.type != "evidence":
        for name, value in data.items():
            tab_to(page, f'[name="{name}"]')
            page.keyboard.type(str(value))
    tab_to(page, "button.govuk-button[type=submit]:not([value=find])")  # Continue, not "Find this place"
    page.keyboard.press("Enter")


def test_the_crime_journey_with_the_keyboard_only(site: Page, live_server: LiveServer) -> None:
    journey = catalogue().journey("crime")
    assert journey is not None
    choose = {"crime_type": "criminal_damage", "victim": "me", "anything_taken": "no", "saw_suspect": "no",
              "vehicle_involved": "no", "had_witness": "no"}  # fmt: skip
    site.goto(f"{live_server.url}/sites/met/report/")
    tab_to(site, 'a[href$="/report/crime/"]')
    site.keyboard.press("Enter")
    expect(site.get_by_role("heading", level=1)).to_have_text("Is anyone in immediate danger?")
    tab_to(site, 'input[name="danger"]')
    site.keyboard.press("Space")
    site.keyboard.press("ArrowDown")  # No
    tab_to(site, "button.govuk-button[type=submit]")
    site.keyboard.press("Enter")
    site.wait_for_url("**/crime/crime_type/")
    for _ in range(30):
        site.wait_for_load_state()
        if site.url.endswith("/check/"):
            break
        question = journey.question(site.url.rstrip("/").rsplit("/", 1)[-1])
        assert question is not None, site.url
        keyboard_answer(site, question, sample_post(question, choose=choose))
        site.wait_for_url(lambda url, before=site.url: url != before)
    expect(site.get_by_role("heading", level=1)).to_have_text("Check your answers before sending your report")
    tab_to(site, "button.govuk-button[type=submit]")
    site.keyboard.press("Enter")
    expect(site.locator(".govuk-panel--confirmation")).to_be_visible()
    reference = site.locator(".govuk-panel__body strong").inner_text()
    assert re.fullmatch(r"MET-\d{8}-[A-Z0-9]{6}", reference)
    assert Report.objects.get(reference=reference).category == "crime.criminal_damage"
