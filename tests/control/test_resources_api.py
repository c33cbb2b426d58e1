"""The resources API: the board, a unit's detail, status, assignment and its lifecycle, urgent
assistance and timers, with their refusals (403, 404, 409)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from bluelamp.control.models import Assignment, Incident
from bluelamp.core.models import Force, User
from tests.control.conftest import MakeUser, clock, london_time, make_unit, new_incident, officer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unit_reference_data")]
API = "/api/v1/control"
LONG_AGO = dt.date(2020, 1, 1)


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"{API}{path}", body, content_type="application/json")


def test_dispatching_a_unit_over_the_api(
    client: Client, supervisor: User, dispatcher: User, handler: User, met: Force
) -> None:
    smith = officer(met, "Smith", skills={"RESPONSE_DRIVER": (LONG_AGO, None), "TASER": (LONG_AGO, None)})
    unit = make_unit(supervisor, "CW11", "IRV", smith)
    with clock(london_time(2026, 11, 22, 9, 0)):
        incident = new_incident(handler)
    client.force_login(dispatcher)

    board = client.get(f"{API}/units", {"base_type": "available"}).json()
    assert [(u["call_sign"], u["status"]["code"], u["home_bcu"]) for u in board["items"]] == [("CW11", "AVL", "CW")]
    detail = client.get(f"{API}/units/{unit.pk}").json()
    assert [c["name"] for c in detail["crew"]] == ["Alex Smith"]
    assert {a["skill"] for a in detail["crew"][0]["authorisations"]} == {"RESPONSE_DRIVER", "TASER"}

    with clock(london_time(2026, 11, 22, 9, 1)):
        response = _post(client, f"/incidents/{incident.pk}/assignments", {"unit_id": unit.pk, "expected_version": 1})
    assert response.status_code == 201, response.content
    assignment = response.json()
    assert (assignment["state"], assignment["call_sign"], assignment["incident_reference"]) == (
        "assigned",
        "CW11",
        incident.reference,
    )
    with clock(london_time(2026, 11, 22, 9, 9)):
        arrived = _post(client, f"/assignments/{assignment['id']}/advance", {"to": "at_scene"})
    assert arrived.json()["state"] == "at_scene"
    with clock(london_time(2026, 11, 22, 9, 10)):  # the same morning: the session is still fresh
        shown = client.get(f"{API}/incidents/{incident.pk}").json()
        again = _post(client, f"/assignments/{assignment['id']}/advance", {"to": "en_route"})
    assert (shown["status"], shown["response_time"]["attended_after_seconds"]) == ("at_scene", 9 * 60)
    assert again.status_code == 409

    with clock(london_time(2026, 11, 22, 10, 0)):
        timers = client.get(f"{API}/timers").json()
    assert [t["prompt"] for t in timers] == ["CW11 at scene 51 min — check on welfare"]

    with clock(london_time(2026, 11, 22, 10, 1)):
        cleared = _post(client, f"/assignments/{assignment['id']}/advance", {"to": "cleared"})
        unit_now = client.get(f"{API}/units/{unit.pk}").json()
    assert cleared.json()["state"] == "cleared"
    assert unit_now["status"]["base_type"] == "available"


def test_refusals_say_why(client: Client, supervisor: User, dispatcher: User, handler: User, met: Force) -> None:
    off = make_unit(supervisor, "CW11", "IRV", officer(met, "Smith"), status="OFF")
    client.force_login(dispatcher)
    incident = new_incident(handler)
    response = _post(client, f"/incidents/{incident.pk}/assignments", {"unit_id": off.pk})
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "Unit CW11 cannot go: it is off duty (OFF Off duty)."
    assert Incident.objects.get(pk=incident.pk).status == "open"
    version = client.get(f"{API}/units/{off.pk}").json()["version"]
    booked = _post(client, f"/units/{off.pk}/status", {"status": "AVL", "expected_version": version})
    assert (booked.status_code, booked.json()["status"]["code"]) == (200, "AVL")
    stale = _post(client, f"/units/{off.pk}/status", {"status": "REF", "expected_version": version})
    assert stale.status_code == 409
    no_driver = _post(client, f"/incidents/{incident.pk}/assignments", {"unit_id": off.pk})
    assert no_driver.status_code == 409
    assert "no one in its crew holds a current Response driver authorisation" in no_driver.json()["error"]["message"]
    assert not Assignment.objects.exists()
    assert client.get(f"{API}/units", {"base_type": "sleeping"}).status_code == 422


def test_urgent_assistance_over_the_api(client: Client, supervisor: User, dispatcher: User, met: Force) -> None:
    unit = make_unit(supervisor, "CW11", "IRV", officer(met, "Smith"))
    client.force_login(dispatcher)
    raised = _post(client, f"/units/{unit.pk}/urgent-assistance", {"position": "CW dispatch 3"})
    assert (raised.status_code, raised.json()["bcu"], raised.json()["acknowledged_at"]) == (201, "CW", None)
    assert _post(client, f"/units/{unit.pk}/urgent-assistance", {}).status_code == 200
    assert [a["call_sign"] for a in client.get(f"{API}/urgent-assistance", {"bcu": "CW"}).json()] == ["CW11"]
    done = _post(client, f"/urgent-assistance/{raised.json()['id']}/acknowledge", {})
    assert (done.status_code, done.json()["acknowledged_by"]) == (200, "disp.met")
    assert client.get(f"{API}/urgent-assistance").json() == []
    assert _post(client, f"/urgent-assistance/{raised.json()['id']}/acknowledge", {}).status_code == 409


def test_roles_without_the_permission_get_403(
    client: Client, supervisor: User, handler: User, met: Force, make_user: MakeUser
) -> None:
    unit = make_unit(supervisor, "CW11", "IRV", officer(met, "Smith", skills={"RESPONSE_DRIVER": (LONG_AGO, None)}))
    incident = new_incident(handler)
    client.force_login(handler)  # a call handler sees the board but sends no one
    assert client.get(f"{API}/units").status_code == 200
    assert _post(client, f"/incidents/{incident.pk}/assignments", {"unit_id": unit.pk}).status_code == 403
    assert _post(client, f"/units/{unit.pk}/status", {"status": "REF"}).status_code == 403
    assert _post(client, f"/units/{unit.pk}/urgent-assistance", {}).status_code == 403
    client.force_login(make_user("analyst.met", met, "analyst"))
    assert client.get(f"{API}/units").status_code == 403
    assert client.get(f"{API}/timers").status_code == 403
    pc = make_user("pc.met", met, "response_officer")
    client.force_login(pc)
    denied = _post(client, f"/units/{unit.pk}/status", {"status": "REF"})
    assert denied.status_code == 403
    assert "not on unit CW11's crew" in denied.json()["error"]["message"]
    assert not Assignment.objects.exists()


def test_strangers_must_sign_in(client: Client) -> None:
    assert client.get(f"{API}/units").status_code == 401
