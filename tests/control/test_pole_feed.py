"""Incident → POLE: the control room's incidents reach the POLE store by themselves, so the next
call near the same place shows them in its history panel."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from bluelamp.control import services
from bluelamp.control.models import Incident
from bluelamp.core.errors import NotFound
from bluelamp.core.models import User
from bluelamp.pole import feed, selectors
from bluelamp.pole import services as pole_services
from bluelamp.pole.models import Event, Location
from tests.control.conftest import TRAFALGAR_SQUARE, new_incident

pytestmark = pytest.mark.django_db


def test_an_incident_becomes_a_pole_event_at_its_place_in_the_same_transaction(handler: User, dispatcher: User) -> None:
    incident = new_incident(handler)
    event = Event.objects.get(source_system="control", source_id=str(incident.pk))
    assert (event.kind, event.open, event.force_id) == ("incident", True, incident.force_id)
    assert event.title.startswith(incident.reference)
    assert event.location is not None
    assert (round(event.location.lat, 5), round(event.location.lon, 5)) == TRAFALGAR_SQUARE

    history = selectors.history_at_point(actor=handler, lat=TRAFALGAR_SQUARE[0], lon=TRAFALGAR_SQUARE[1])
    assert [found.event.pk for found in history.previous] == [event.pk]

    services.transition_incident(
        actor=dispatcher,
        incident=incident,
        to="closed",
        closing_category="crime.violence",
        closing_result="Words of advice given",
    )
    event.refresh_from_db()
    assert event.open is False
    assert Event.objects.filter(source_system="control").count() == 1  # brought up to date, not copied


def test_feeding_again_changes_nothing_and_the_feed_sees_only_its_own_force(handler: User) -> None:
    incident = new_incident(handler)
    feed.feed_incident(force_id=incident.force_id, incident_id=incident.pk)
    feed.feed_incident(force_id=incident.force_id, incident_id=incident.pk)
    assert Event.objects.filter(source_system="control", source_id=str(incident.pk)).count() == 1
    other_force = incident.force_id + 1000
    with pytest.raises(NotFound):
        feed.feed_incident(force_id=other_force, incident_id=incident.pk)


def test_an_incident_undone_leaves_no_pole_event(handler: User) -> None:
    made: list[Incident] = []

    def make_then_fail() -> None:
        with transaction.atomic():
            made.append(new_incident(handler))
            raise RuntimeError("the call handler's transaction fails after the incident was made")

    with pytest.raises(RuntimeError):
        make_then_fail()
    incident = made[0]
    assert not Event.objects.filter(source_system="control", source_id=str(incident.pk)).exists()
    assert not Incident.objects.filter(pk=incident.pk).exists()


def test_a_failing_feed_never_undoes_the_incident(
    handler: User, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("POLE store unavailable")

    monkeypatch.setattr(pole_services, "record_events", broken)  # a fault injected into the real feed
    incident = new_incident(handler)
    assert Incident.objects.filter(pk=incident.pk).exists()
    assert incident.log_length == 1
    assert not Event.objects.filter(source_system="control", source_id=str(incident.pk)).exists()
    assert not Location.objects.exists()  # the feed's own writes were rolled back with it
    assert f"incidents {incident.pk} not fed" in caplog.text

    monkeypatch.undo()
    feed.feed_incident(force_id=incident.force_id, incident_id=incident.pk)  # fed again, later: safe
    assert Event.objects.filter(source_system="control", source_id=str(incident.pk)).count() == 1
