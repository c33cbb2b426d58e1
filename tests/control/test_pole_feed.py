"""Incident → POLE: the control room's incidents reach the POLE store by themselves once their
transaction commits (the ``pole.feed`` consumer of the outbox), so the next call near the same
place shows them in its history panel."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from bluelamp.control.incidents import services as incident_services
from bluelamp.control.models import Incident
from bluelamp.core import consumers
from bluelamp.core.errors import NotFound
from bluelamp.core.models import ConsumerCursor, Force, User
from bluelamp.pole import feed, selectors, sources
from bluelamp.pole import services as pole_services
from bluelamp.pole.models import Event, Location
from tests.control.conftest import TRAFALGAR_SQUARE, new_incident

pytestmark = pytest.mark.django_db


def fed(incident: Incident) -> bool:
    return Event.objects.filter(source_system="control", source_id=str(incident.pk)).exists()


def consume(*, now: dt.datetime | None = None) -> int:
    """What the consumers' thread does once the control room's transaction commits."""
    return consumers.run(consumers.consumer(feed.CONSUMER), now=now)


def test_an_incident_becomes_a_pole_event_at_its_place_once_it_commits(handler: User, dispatcher: User) -> None:
    incident = new_incident(handler)
    assert not fed(incident)  # the test's transaction stands for one not committed yet
    assert consume() >= 1
    event = Event.objects.get(source_system="control", source_id=str(incident.pk))
    assert (event.kind, event.open, event.force_id) == ("incident", True, incident.force_id)
    assert event.title == "Crime: Violence against the person"  # what happened, from the NSIR category
    assert event.location is not None
    assert (round(event.location.lat, 5), round(event.location.lon, 5)) == TRAFALGAR_SQUARE

    history = selectors.history_at_point(actor=handler, lat=TRAFALGAR_SQUARE[0], lon=TRAFALGAR_SQUARE[1])
    assert [found.event.pk for found in history.previous] == [event.pk]
    # It is shown by its CAD reference, which POLE asks the control room for.
    assert [found.event.reference for found in history.previous] == [incident.reference]

    incident_services.transition_incident(
        actor=dispatcher,
        incident=incident,
        to="closed",
        closing_category="crime.violence",
        closing_result="Words of advice given",
    )
    consume()
    event.refresh_from_db()
    assert event.open is False
    assert Event.objects.filter(source_system="control").count() == 1  # brought up to date, not copied


def test_feeding_again_changes_nothing_and_the_feed_sees_only_its_own_force(handler: User) -> None:
    incident = new_incident(handler)
    consume()
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
    consume()
    assert not Event.objects.filter(source_system="control", source_id=str(incident.pk)).exists()
    assert not Incident.objects.filter(pk=incident.pk).exists()


def test_a_failing_feed_never_undoes_the_incident_and_is_retried_not_dropped(
    handler: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("POLE store unavailable")

    # A fault injected into the real feed, after it has found or made the incident's place.
    monkeypatch.setattr(pole_services, "_record_event", broken)
    incident = new_incident(handler)
    consume()
    assert Incident.objects.filter(pk=incident.pk).exists()
    assert incident.log_length == 1
    assert not fed(incident)
    assert not Location.objects.exists()  # the feed's own writes were rolled back with it
    cursor = ConsumerCursor.objects.get(name=feed.CONSUMER)
    assert "POLE store unavailable" in cursor.last_error
    assert cursor.attempts == 1
    assert cursor.failing_event_id is not None
    assert cursor.position < cursor.failing_event_id  # it waits at the event instead of skipping it

    monkeypatch.undo()
    assert consume() == 0  # not before its backoff is over
    assert consume(now=timezone.now() + consumers.backoff(1)) >= 1
    assert fed(incident)
    cursor.refresh_from_db()
    assert (cursor.failing_event_id, cursor.attempts) == (None, 0)
    assert "POLE store unavailable" in cursor.last_error  # kept for whoever looks at the health page
    feed.feed_incident(force_id=incident.force_id, incident_id=incident.pk)  # fed again, later: safe
    assert Event.objects.filter(source_system="control", source_id=str(incident.pk)).count() == 1


def test_pole_names_control_events_by_cad_reference_within_the_events_own_force(
    handler: User, city: Force, django_assert_num_queries: Any
) -> None:
    incident = new_incident(handler)
    consume()
    fed = Event.objects.get(source_system="control", source_id=str(incident.pk))
    # An event another force's control room fed under the same id names that force's incident, not this one.
    elsewhere = Event(force=city, source_system="control", source_id=str(incident.pk))
    migrated = Event(force=incident.force, source_system="control", source_id="CAD 101/14AUG25")  # an old system's
    unknown = Event(force=incident.force, source_system="niche", source_id="N-77")  # a system nobody registered
    with django_assert_num_queries(2):  # one per system and force asked
        sources.name_events([fed, elsewhere, migrated, unknown])
    assert [e.reference for e in (fed, elsewhere, migrated, unknown)] == [
        incident.reference,
        str(incident.pk),
        "CAD 101/14AUG25",
        "N-77",
    ]


def test_the_history_page_shows_a_fed_incident_by_its_cad_reference(handler: User, client: Client) -> None:
    incident = new_incident(handler)
    consume()
    client.force_login(handler)
    page = client.get("/pole/history/", {"lat": TRAFALGAR_SQUARE[0], "lon": TRAFALGAR_SQUARE[1]})
    assert page.status_code == 200
    assert f'Crime: Violence against the person <span class="govuk-body-s">({incident.reference})</span>' in page.text
