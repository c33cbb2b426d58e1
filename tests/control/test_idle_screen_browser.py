"""An unattended control-room screen in Chromium: its own background refreshes keep running,
yet it is signed out when the idle limit of the person's role has passed."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from bluelamp.core.models import User
from bluelamp.core.sessions import idle_limits
from tests.control.test_live_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
IDLE_SECONDS = 6


@pytest.fixture
def short_idle_limit(tmp_path: Path, settings: SettingsWrapper) -> Iterator[None]:
    path = tmp_path / "session_limits.json"
    limits = {"effective_from": "2020-01-01", "idle_minutes_by_role": {"dispatcher": IDLE_SECONDS / 60}}
    path.write_text(json.dumps({"limits": [limits]}))
    settings.BLUELAMP_SESSION_LIMITS_FILE = path
    settings.BLUELAMP_IDLE_TIMEOUT = dt.timedelta(seconds=IDLE_SECONDS)  # the same for anyone unlisted
    yield
    idle_limits.cache_clear()


@pytest.mark.usefixtures("short_idle_limit")
def test_an_idle_screen_that_keeps_polling_is_signed_out(page: Page, live_server: LiveServer, dispatcher: User) -> None:
    sign_in(page, live_server, dispatcher, "/control/incidents/")
    expect(page).to_have_url(re.compile(r"/control/incidents/$"))
    # The screen refreshes its list by itself every second, as the live screens do on each change.
    page.evaluate(
        """() => {
          window.polls = 0;
          window.setInterval(() => fetch('/control/incidents/?fragment=rows', {credentials: 'same-origin'})
            .then((r) => { if (r.ok && !r.redirected) window.polls += 1; }), 1000);
        }"""
    )
    page.wait_for_timeout(3000)
    assert page.evaluate("window.polls") >= 2  # polling, and still signed in
    expect(page).to_have_url(re.compile(r"/sign-in/"), timeout=(IDLE_SECONDS + 10) * 1000)
    expect(page.get_by_text(f"you did nothing for {IDLE_SECONDS} seconds")).to_be_visible()
