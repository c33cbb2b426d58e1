"""The served application: streams on Django's ASGI handler, everything else on the WSGI
handler's fixed pool of threads (ADR 0009)."""

from __future__ import annotations

import asyncio
import gc
import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.core.signals import request_started

from tests.conftest import ROOT, run_in_a_thread_of_its_own

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _collector_as_it_was() -> Iterator[None]:
    """A worker's start tunes the garbage collector for the process: undo it for the suite."""
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


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


def test_ordinary_requests_run_on_the_wsgi_handler_and_reuse_its_threads() -> None:
    served = _serve(["/healthz"] * 20)
    assert {handler for handler, _, _ in served} == {"WSGIHandler"}
    assert {status for _, _, status in served} == {"200"}
    threads = {thread for _, thread, _ in served}
    assert len(threads) <= 8  # the pool's threads, not one new thread per request
    assert threading.get_ident() not in threads


def test_a_form_posted_through_the_pool_reaches_its_view_and_a_static_file_is_streamed() -> None:
    """The one-piece way (a form) and the streamed way (WhiteNoise's file) through uvicorn's
    application (ADR 0014)."""
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


def _start_and_stop() -> list[str]:
    """Run bluelamp.asgi.application through an ASGI lifespan (start, then stop): what it answered."""
    from bluelamp.asgi import application

    async def lifespan() -> list[str]:
        messages: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        for message in ("lifespan.startup", "lifespan.shutdown"):
            messages.put_nowait({"type": message})
        answered: list[str] = []

        async def send(message: dict[str, str]) -> None:
            answered.append(message["type"])

        await application({"type": "lifespan", "asgi": {"version": "3.0"}}, messages.get, send)  # type: ignore[arg-type]
        return answered

    return run_in_a_thread_of_its_own(lifespan)


@pytest.mark.usefixtures("london")
def test_a_worker_builds_its_area_index_before_it_takes_requests(django_assert_num_queries: Any) -> None:
    from bluelamp.core import selectors

    selectors.forget_area_index()
    assert _start_and_stop() == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    with django_assert_num_queries(0):
        assert selectors.locate(lat=51.5133, lon=-0.0890).force_code == "city"  # Bank station


def test_a_worker_starts_even_when_the_database_is_not_ready(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from django.db import OperationalError

    from bluelamp.core import selectors

    def unreachable() -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(selectors, "area_index", unreachable)
    assert _start_and_stop() == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert "area index not built at start (connection refused)" in caplog.text


def test_a_started_worker_spares_its_startup_heap_from_the_collector() -> None:
    from bluelamp.asgi import GC_THRESHOLDS

    gc.unfreeze()
    assert _start_and_stop() == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert gc.get_freeze_count() > 10_000  # Django and everything imported so far
    assert gc.get_threshold() == GC_THRESHOLDS


def test_a_worker_loads_its_views_and_api_before_freezing_its_startup_heap(run_bluelamp: Any) -> None:
    """In a new process, as a worker starts: what the first request would otherwise import (the
    URL configuration, every view, the API and its schemas) is loaded before the freeze, so the
    collector does not walk it under load."""
    check = (
        "import asyncio, gc, sys\n"
        "from bluelamp.asgi import application\n"
        "assert 'bluelamp.control.api' not in sys.modules, 'imported before the worker started'\n"
        "async def start():\n"
        "    sent = []\n"
        "    async def receive(): return {'type': 'lifespan.startup'}\n"
        "    async def send(message): sent.append(message['type']); raise SystemExit(0 if sent else 1)\n"
        "    await application({'type': 'lifespan', 'asgi': {'version': '3.0'}}, receive, send)\n"
        "try:\n"
        "    asyncio.run(start())\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('bluelamp.control.api' in sys.modules, 'bluelamp.pole.api' in sys.modules, gc.get_freeze_count() > 0)\n"
    )
    done = run_bluelamp("shell", "-c", check)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-3:] == ["True", "True", "True"]
