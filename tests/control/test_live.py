"""The control room's change feed: notices go out only when the change commits, only to screens
of the same force whose reader may see them, with a bound per screen; the SSE endpoint streams
them as text/event-stream."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from bluelamp.core import live
from bluelamp.core.events import emit
from bluelamp.core.models import Force, User
from tests.control.conftest import new_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscribe() -> Any:
    made: list[live.Subscription] = []

    def make(force: Force, **kwargs: Any) -> live.Subscription:
        kwargs.setdefault("permissions", {"control.view_incident"})
        subscription = live.broadcaster.subscribe(force.pk, **kwargs)
        made.append(subscription)
        return subscription

    yield make
    for subscription in made:
        live.broadcaster.unsubscribe(subscription)


def test_published_only_when_the_change_commits(
    handler: User, met: Force, subscribe: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    screen = subscribe(met)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        incident = new_incident(handler)
    assert screen.pending() == 0  # not committed yet: nothing announced
    for callback in callbacks:
        callback()
    topics = [screen.get(timeout=0) for _ in range(screen.pending())]
    created = [n for n in topics if n is not None and n.topic == "control.incident.created"]
    assert created == [
        live.Notice(
            "control.incident.created",
            met.pk,
            "control.view_incident",
            {"incident_id": incident.pk, "contact_id": created[0].data["contact_id"]},
        )
    ]


def test_a_rolled_back_change_is_never_announced(met: Force, subscribe: Any) -> None:
    screen = subscribe(met)
    emit("control.incident.logged", force=met, incident_id=1)  # the test's transaction never commits
    assert screen.pending() == 0


def test_notices_go_only_to_the_same_force(
    handler: User, met: Force, city: Force, subscribe: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    ours, theirs = subscribe(met), subscribe(city)
    with django_capture_on_commit_callbacks(execute=True):
        new_incident(handler)
        emit("business.person.imported", force=met, count=1)  # not a control topic
    assert ours.pending() >= 2
    assert theirs.pending() == 0
    notices = [ours.get(timeout=0) for _ in range(ours.pending())]
    assert all(n is not None and n.topic.startswith("control.") and n.force_id == met.pk for n in notices)


def test_a_screen_that_falls_behind_is_told_to_resync() -> None:
    screen = live.Subscription(7, bound=3)
    for number in range(5):
        screen.put(live.Notice("control.incident.logged", 7, data={"incident_id": number}))
    found = [screen.get(timeout=0) for _ in range(screen.pending())]
    assert found[0] == live.Notice(live.RESYNC, 7)
    assert screen.pending() == 0
    assert screen.get(timeout=0) is None


def test_the_threaded_stream_sends_notices_and_heartbeats() -> None:
    subscription = live.broadcaster.subscribe(5)
    body = live.stream(subscription, heartbeat=0.01, lifetime=5)
    assert next(body).startswith("retry: ")
    assert next(body) == live.HEARTBEAT
    live.broadcaster.publish(live.Notice("control.incident.graded", 5, data={"incident_id": 42}))
    live.broadcaster.publish(live.Notice("control.incident.graded", 6, data={"incident_id": 43}))  # another force
    assert next(body) == 'event: change\ndata: {"topic":"control.incident.graded","force_id":5,"incident_id":42}\n\n'
    assert next(body) == live.HEARTBEAT
    body.close()
    assert live.broadcaster.subscriber_count() == 0 or subscription not in live.broadcaster._subscriptions


def test_the_async_stream_waits_on_the_event_loop() -> None:
    async def run() -> list[str]:
        body = live.astream(9, heartbeat=0.01, lifetime=5)
        got = [await anext(body)]  # subscribed now
        live.broadcaster.publish(live.Notice("control.contact.received", 9, data={"contact_id": 3}))
        got.append(await anext(body))
        got.append(await anext(body))
        await body.aclose()
        return got

    opening, change, heartbeat = asyncio.run(run())
    assert opening.startswith("retry: ")
    assert change == 'event: change\ndata: {"topic":"control.contact.received","force_id":9,"contact_id":3}\n\n'
    assert heartbeat == live.HEARTBEAT


def test_the_endpoint_streams_the_users_force(client: Client, handler: User, monkeypatch: Any) -> None:
    monkeypatch.setattr(live, "STREAM_SECONDS", 1.0)  # ample for a heartbeat even on a busy machine
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0.01)
    client.force_login(handler)
    response = client.get(reverse("control:live"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert text.startswith("retry: ")
    assert live.HEARTBEAT in text


def test_the_endpoint_needs_a_sign_in_and_the_permission(client: Client, met: Force, make_user: Any) -> None:
    assert client.get(reverse("control:live")).status_code == 401
    client.force_login(make_user("no.roles", met))
    assert client.get(reverse("control:live")).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_the_endpoint_streams_without_a_thread_under_asgi(handler: User, monkeypatch: Any) -> None:
    from django.test import AsyncClient

    monkeypatch.setattr(live, "STREAM_SECONDS", 1.0)  # ample for a heartbeat even on a busy machine
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0.01)
    client = AsyncClient()
    client.force_login(handler)

    async def read() -> tuple[Any, str]:
        response = await client.get(reverse("control:live"))
        chunks = [chunk async for chunk in response.streaming_content]
        return response, b"".join(chunks).decode()

    # A thread of its own: when a browser test ran earlier, Playwright's event loop is running
    # in this thread, and async_to_sync refuses to start another here.
    with ThreadPoolExecutor(max_workers=1) as pool:
        response, text = pool.submit(asyncio.run, read()).result(timeout=60)
    assert response.status_code == 200
    assert response.is_async
    assert text.startswith("retry: ")
    assert live.HEARTBEAT in text
