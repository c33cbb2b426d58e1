"""What the live feed and the incident show depends on what the reader may see: unit positions
only to readers with ``view_unitposition``; who called only to readers with ``view_contact``
(the incident's log no longer copies the caller's name and phone)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from bluelamp.control.models import IncidentLogEntry
from bluelamp.core import live
from bluelamp.core.models import Force, User
from bluelamp.dispatch import live as dispatch_live
from tests.control.conftest import MakeUser, new_incident

pytestmark = pytest.mark.django_db


def _read_stream(client: Client, monkeypatch: Any, force: Force, *notices: live.Notice) -> str:
    """Open the real endpoint, announce ``notices`` while it is open, and read what it sent."""
    monkeypatch.setattr(live, "STREAM_SECONDS", 0.5)
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0.05)
    response = client.get(reverse("control:live"))  # subscribed from here on
    assert response.status_code == 200
    live.announce(*notices)
    return b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]


def _positions_and_a_change(force: Force) -> list[live.Notice]:
    moved = dispatch_live.notices_for(force.pk, [(7, 51.5, -0.12, "2026-11-25T23:00:00+00:00", False)])
    changed = live.Notice("control.incident.graded", force.pk, "control.view_incident", {"incident_id": 9})
    return [*moved, changed]


def test_a_reader_without_view_unitposition_gets_no_positions_on_the_stream(
    client: Client, met: Force, make_user: MakeUser, monkeypatch: Any
) -> None:
    analyst = make_user("an.met", met, "analyst")  # may view incidents, not where units are
    assert analyst.has_perm("control.view_incident")
    assert not analyst.has_perm("dispatch.view_unitposition")
    client.force_login(analyst)
    text = _read_stream(client, monkeypatch, met, *_positions_and_a_change(met))
    assert '"topic":"control.incident.graded"' in text  # the stream works for them
    assert "control.positions" not in text
    assert "51.5" not in text


def test_a_reader_with_view_unitposition_gets_them(client: Client, handler: User, met: Force, monkeypatch: Any) -> None:
    assert handler.has_perm("dispatch.view_unitposition")
    client.force_login(handler)
    text = _read_stream(client, monkeypatch, met, *_positions_and_a_change(met))
    assert '"topic":"control.positions"' in text
    assert '"unit_id":7' in text


def test_the_incident_log_no_longer_holds_the_callers_name_or_phone(handler: User) -> None:
    incident = new_incident(handler)  # the call: Sam Caller, 07700 900123
    first = IncidentLogEntry.objects.filter(incident=incident).order_by("pk").first()
    assert first is not None
    written = f"{first.text} {first.data}"
    assert "Sam Caller" not in written
    assert "07700 900123" not in written
    assert "Two men fighting" in written  # what happened is still carried over, not re-typed


def test_the_incident_page_shows_the_caller_only_to_readers_of_contacts(
    client: Client, handler: User, met: Force, make_user: MakeUser
) -> None:
    incident = new_incident(handler)
    page = reverse("control:incident", kwargs={"incident_id": incident.pk})
    client.force_login(handler)  # a call handler may view contacts
    assert "Sam Caller" in client.get(page).text
    analyst = make_user("an.met", met, "analyst")
    assert not analyst.has_perm("control.view_contact")
    client.force_login(analyst)
    shown = client.get(page)
    assert shown.status_code == 200
    assert "Sam Caller" not in shown.text
    assert "07700 900123" not in shown.text
