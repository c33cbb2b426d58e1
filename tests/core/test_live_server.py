"""The test suite's live server behaves like a real one when requests come at once."""

from __future__ import annotations

import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.test import Client
from pytest_django.live_server_helper import LiveServer

from bluelamp.core.models import User

pytestmark = pytest.mark.django_db(transaction=True)


def test_signed_in_requests_at_once_all_save_their_session(live_server: LiveServer) -> None:
    # Each signed-in request writes its session (the idle timeout's last activity), so requests
    # at once are concurrent write transactions, like a page and the map data it fetches.
    client = Client()
    client.force_login(User.objects.create_user("concurrent", password="not-used-1234"))
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    def fetch(_: int) -> int:
        request = urllib.request.Request(f"{live_server.url}/", headers={"Cookie": cookie})  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - the local live server
            return int(response.status)

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(fetch, range(64)))
    assert statuses == [200] * 64
