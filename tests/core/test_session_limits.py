"""When a staff session ends: background requests are not activity, the idle limit comes from
the person's roles (data), and no session outlives a shift from sign-in."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from bluelamp.core.errors import InvalidInput
from bluelamp.core.models import Force, Role, User
from bluelamp.core.services import seed_roles
from bluelamp.core.sessions import LAST_ACTIVITY, SIGNED_IN_AT, idle_limit_for, idle_limits

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("london")]
BACKGROUND = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}  # what a browser's fetch() sends
NAVIGATION = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Fetch-User": "?1"}


@pytest.fixture
def met() -> Force:
    force = Force.objects.get(code="met")
    seed_roles(force=force)
    return force


def staff(username: str, force: Force, *roles: str) -> User:
    user = User.objects.create_user(username=username, password="a-long-test-password", force=force)
    for code in roles:
        Role.objects.get(force=force, code=code).members.add(user)
    return user


def age(client: Client, key: str, seconds: float) -> None:
    session = client.session
    session[key] = time.time() - seconds
    session.save()


def test_a_screen_refreshing_itself_does_not_count_as_activity(client: Client, met: Force) -> None:
    client.force_login(staff("hr1", met, "hr"))
    assert client.get("/account/", headers=NAVIGATION).status_code == 200
    age(client, LAST_ACTIVITY, 29 * 60)
    for _ in range(3):  # a fragment fetched again and again, as the live screens do
        assert client.get("/account/", headers=BACKGROUND).status_code == 200
    assert 50 < client.get("/session/status").json()["seconds_left"] <= 60
    age(client, LAST_ACTIVITY, 31 * 60)
    refused = client.get("/account/", headers=BACKGROUND)
    assert refused.status_code == 401
    assert client.get("/account/").status_code == 302  # signed out


def test_opening_a_page_counts_as_activity(client: Client, met: Force) -> None:
    client.force_login(staff("hr2", met, "hr"))
    client.get("/account/")
    age(client, LAST_ACTIVITY, 29 * 60)
    assert client.get("/account/", headers=NAVIGATION).status_code == 200
    assert client.get("/session/status").json()["seconds_left"] > 29 * 60


def test_the_idle_limit_is_the_longest_of_the_persons_roles(client: Client, met: Force) -> None:
    assert idle_limit_for(staff("hr3", met, "hr")) == dt.timedelta(minutes=30)  # not listed: the default
    assert idle_limit_for(staff("disp3", met, "dispatcher", "hr")) == dt.timedelta(minutes=120)
    client.force_login(User.objects.get(username="disp3"))
    client.get("/account/")
    age(client, LAST_ACTIVITY, 31 * 60)
    status = client.get("/session/status").json()
    assert status["signed_in"] is True
    assert 88 * 60 < status["seconds_left"] <= 89 * 60


def test_idle_limits_are_effective_dated_data(tmp_path: Path, met: Force, settings: SettingsWrapper) -> None:
    path = tmp_path / "limits.json"
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    path.write_text(
        json.dumps(
            {
                "limits": [
                    {"effective_from": "2020-01-01", "idle_minutes_by_role": {"hr": 45}},
                    {"effective_from": tomorrow, "idle_minutes_by_role": {"hr": 5}},
                ]
            }
        )
    )
    settings.BLUELAMP_SESSION_LIMITS_FILE = path
    assert idle_limit_for(staff("hr4", met, "hr")) == dt.timedelta(minutes=45)
    path.write_text('{"limits": [{"effective_from": "2020-01-01", "idle_minutes_by_role": {"hr": 0}}]}')
    idle_limits.cache_clear()
    with pytest.raises(InvalidInput, match="more than 0 minutes"):
        idle_limits(path)
    idle_limits.cache_clear()


def test_no_session_outlives_a_shift_however_active(client: Client, met: Force) -> None:
    client.force_login(staff("disp5", met, "dispatcher"))
    client.get("/account/")
    expires = client.session.get_expiry_date()
    signed_in = dt.datetime.fromtimestamp(client.session[SIGNED_IN_AT], tz=dt.UTC)
    assert abs((expires - signed_in) - dt.timedelta(hours=12)) < dt.timedelta(seconds=5)
    client.post("/session/keep-alive")
    assert client.session.get_expiry_date() == expires  # activity does not slide it
    age(client, SIGNED_IN_AT, 12 * 3600 + 1)
    response = client.post("/session/keep-alive")  # even while active
    assert response.status_code == 302
    follow = client.get(response["Location"])
    assert "signed in for 12 hours, a whole shift" in follow.content.decode()
    assert client.get("/account/").status_code == 302


def test_signing_in_starts_the_shift_clock(client: Client, met: Force) -> None:
    staff("hr6", met, "hr")
    before = time.time()
    response = client.post("/sign-in/", {"username": "hr6", "password": "a-long-test-password"})
    assert response.status_code == 302
    assert before <= client.session[SIGNED_IN_AT] <= time.time()
