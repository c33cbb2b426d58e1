"""The served application: streams on Django's ASGI handler, everything else on the WSGI
handler's fixed pool of threads (ADR 0009)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
from django.core.signals import request_started

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

    statuses: list[int] = []
    # In a thread of its own: a browser test earlier in the run may leave an event loop here.
    runner = threading.Thread(target=lambda: statuses.extend(asyncio.run(fetch())))
    request_started.connect(started)
    try:
        runner.start()
        runner.join()
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


def test_live_streams_go_to_the_asgi_handler() -> None:
    [(handler, _, status)] = _serve(["/control/live"])
    assert handler == "ASGIHandler"
    assert status == "401"  # not signed in: refused before any stream starts
