"""The served application: Django's own ASGI handler for every request, pages, forms, static
files and live streams alike (ADR 0015)."""

from __future__ import annotations

import re
import threading
from typing import Any

import httpx
import pytest
from django.core.signals import request_started

from tests.conftest import ROOT, run_in_a_thread_of_its_own

pytestmark = pytest.mark.django_db(transaction=True)


def _serve(paths: list[str]) -> list[tuple[str, int, str]]:
    """GET each path through bluelamp.asgi.application; note which handler took it, on which thread."""
    from bluelamp.asgi import application

    seen: list[tuple[str, int, str]] = []

    def started(sender: Any, **kwargs: Any) -> None:
        seen.append((sender.__name__, threading.get_ident(), ""))

    async def fetch() -> list[int]:
        transport = httpx.ASGITransport(app=application)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return [(await client.get(path)).status_code for path in paths]

    request_started.connect(started)
    try:
        statuses = run_in_a_thread_of_its_own(fetch)
    finally:
        request_started.disconnect(started)
    return [(handler, thread, str(status)) for (handler, thread, _), status in zip(seen, statuses, strict=True)]


def test_every_request_runs_on_djangos_asgi_handler() -> None:
    served = _serve(["/healthz"] * 3)
    assert {handler for handler, _, _ in served} == {"ASGIHandler"}
    assert {status for _, _, status in served} == {"200"}


def test_a_form_posted_reaches_its_view_and_a_static_file_is_streamed() -> None:
    from bluelamp.asgi import application

    async def sign_in_wrongly() -> list[tuple[int, str]]:
        transport = httpx.ASGITransport(app=application)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            form = await client.get("/sign-in/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
            assert token is not None
            answered = await client.post(
                "/sign-in/",
                data={"csrfmiddlewaretoken": token[1], "username": "nobody-here", "password": "not the password"},
            )
            static = await client.get("/static/css/staff.css")
            return [(answered.status_code, answered.text), (static.status_code, static.text)]

    (status, page), (static_status, css) = run_in_a_thread_of_its_own(sign_in_wrongly)
    assert status == 200
    assert "There is a problem" in page
    assert "nobody-here" in page  # the posted user name, read from the body, is shown back
    assert static_status == 200
    assert css == (ROOT / "build" / "static" / "css" / "staff.css").read_text()


def test_live_streams_go_to_the_asgi_handler() -> None:
    [(handler, _, status)] = _serve(["/control/live"])
    assert handler == "ASGIHandler"
    assert status == "401"  # not signed in: refused before any stream starts
