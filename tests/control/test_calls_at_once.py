"""Calls made into incidents by many requests at once, each in its own transaction: each request
gets its own incident, the CAD numbers run on per force and day without a gap or a repeat, a
source reference sent twice makes one incident, and the incident logs, the audit trail and POLE
hold every one of them."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from bluelamp.control import integrity
from bluelamp.control.contacts import services as contact_services
from bluelamp.control.models import Contact, Incident
from bluelamp.core import audit
from bluelamp.core.models import User
from bluelamp.pole.models import Event
from tests.control.conftest import ST_PAULS, TRAFALGAR_SQUARE

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


def _at_once(handler: User) -> dict[int, contact_services.Made | BaseException]:
    got: dict[int, contact_services.Made | BaseException] = {}
    start = threading.Barrier(REQUESTS)

    def request(number: int) -> None:
        try:
            start.wait(timeout=10)
            got[number] = contact_services.create_incident_from_call(
                actor=handler, contact=contact_services.NewContact(**_call(number))
            )
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
    made = {number: value for number, value in got.items() if isinstance(value, contact_services.Made)}
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


def test_two_forces_numbering_at_once_each_keep_their_own_sequence(handler: User, city_handler: User) -> None:
    got: list[contact_services.Made | BaseException] = []
    start = threading.Barrier(REQUESTS)

    def request(actor: User, number: int) -> None:
        try:
            start.wait(timeout=10)
            call = _call(number) | {"source_reference": "", "lat": ST_PAULS[0], "lon": ST_PAULS[1]}
            got.append(
                contact_services.create_incident_from_call(actor=actor, contact=contact_services.NewContact(**call))
            )
        except BaseException as error:
            got.append(error)
        finally:
            connection.close()

    actors = [handler if number % 2 else city_handler for number in range(REQUESTS)]
    threads = [threading.Thread(target=request, args=(actor, n)) for n, actor in enumerate(actors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not [value for value in got if isinstance(value, BaseException)]
    for force_id in {handler.force_id, city_handler.force_id}:
        numbers = Incident.objects.filter(force_id=force_id).order_by("cad_number").values_list("cad_number", flat=True)
        assert list(numbers) == list(range(1, REQUESTS // 2 + 1))
