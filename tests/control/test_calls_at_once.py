"""Calls made into incidents by many requests at once are written in shared transactions (group
commit, bluelamp.core.groupcommit): each request still gets its own incident, the CAD numbers
run on without a gap or a repeat, a source reference sent twice makes one incident, and the
incident logs, the audit trail and POLE are as if each had been written alone."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bluelamp.control import integrity, services
from bluelamp.control.models import Contact, Incident
from bluelamp.core import audit
from bluelamp.core.models import OutboxEvent, User
from bluelamp.pole.models import Event
from tests.control.conftest import TRAFALGAR_SQUARE

pytestmark = pytest.mark.django_db(transaction=True)
REQUESTS = 12


def _call(number: int) -> dict[str, Any]:
    return {
        "channel": "alarm",
        "caller_name": f"Monitoring centre {number}",
        "address": f"{number} Whitehall",
        "lat": TRAFALGAR_SQUARE[0] + number * 0.0005,
        "lon": TRAFALGAR_SQUARE[1],
        "description": "Intruder alarm, confirmed by a second sensor",
        "category": "crime.burglary",
        # Requests 10 and 11 send the same alarm twice: one incident between them.
        "source_reference": f"ALARM-{min(number, 10)}",
    }


def _at_once(handler: User) -> dict[int, services.Made | BaseException]:
    got: dict[int, services.Made | BaseException] = {}
    start = threading.Barrier(REQUESTS)

    def request(number: int) -> None:
        try:
            start.wait(timeout=10)
            got[number] = services.create_incident_from_call(actor=handler, **_call(number))
        except BaseException as error:
            got[number] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=request, args=(number,)) for number in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return got


def test_calls_made_at_once_each_get_their_incident(handler: User) -> None:
    got = _at_once(handler)

    assert not [value for value in got.values() if isinstance(value, BaseException)]
    made = {number: value for number, value in got.items() if isinstance(value, services.Made)}
    assert made[10].incident.pk == made[11].incident.pk
    assert sorted([made[10].created, made[11].created]) == [False, True]
    incidents = Incident.objects.order_by("cad_number")
    assert [incident.cad_number for incident in incidents] == list(range(1, REQUESTS))  # 11: two were one alarm
    for number in range(10):  # each request got the incident of its own call
        assert made[number].incident.address == _call(number)["address"]
        assert Contact.objects.get(incident=made[number].incident).source_reference == f"ALARM-{number}"
    assert made[10].incident.address in {"10 Whitehall", "11 Whitehall"}  # whichever came first
    assert Contact.objects.count() == REQUESTS - 1
    assert integrity.verify_logs().intact
    assert all(incident.log_length == 1 for incident in incidents)
    assert audit.verify_chain().intact
    assert Event.objects.filter(source_system="control").count() == REQUESTS - 1


def test_a_batch_writes_its_contacts_closed_and_their_events_with_the_incidents_in_one_statement(handler: User) -> None:
    makings = [services.Making(services.Taken(handler, services._contact_from(handler, **_call(n)))) for n in range(3)]
    with CaptureQueriesContext(connection) as statements:
        made = services._write_calls(makings)
    outbox_inserts = [s for s in statements.captured_queries if s["sql"].startswith('INSERT INTO "core_outboxevent"')]
    assert len(outbox_inserts) == 2  # the control room's events, then the POLE feed's
    # The contacts are inserted after their incidents, closed into them: no UPDATE follows.
    assert not [s for s in statements.captured_queries if 'UPDATE "control_contact"' in s["sql"]]
    for one in made:
        contact = one.incident.contacts.get()
        assert (contact.outcome, contact.closed_at) == ("incident", one.incident.created_at)
    control = OutboxEvent.objects.filter(topic__startswith="control.").order_by("pk")
    assert [(event.topic, event.payload["contact_id"]) for event in control] == [
        *(("control.contact.received", one.incident.contacts.get().pk) for one in made),
        *(("control.incident.created", one.incident.contacts.get().pk) for one in made),
    ]
