"""The Command and Control API: happy paths, clear errors, permissions (403), other forces'
records (404) and token clients (ANPR feed)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from bluelamp.control.models import (
    Assignment,
    Contact,
    Incident,
    IncidentLogEntry,
    Resource,
    UnitStatusChange,
    UrgentAssistance,
)
from bluelamp.control.units import assignments as unit_assignments
from bluelamp.control.units import urgent as urgent_services
from bluelamp.core import tokens
from bluelamp.core.models import Force, Role, User
from tests.control.conftest import (
    HIGH_THREAT,
    TRAFALGAR_SQUARE,
    MakeUser,
    make_unit,
    new_incident,
    officer,
    take_call,
)

pytestmark = pytest.mark.django_db
API = "/api/v1/control"

CALL = {
    "channel": "999",
    "caller_name": "Sam Caller",
    "caller_phone": "07700 900123",
    "address": "Trafalgar Square",
    "lat": TRAFALGAR_SQUARE[0],
    "lon": TRAFALGAR_SQUARE[1],
    "description": "Two men fighting",
    "category": "crime.violence",
    "qualifiers": ["alcohol"],
}


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"{API}{path}", body, content_type="application/json")


def _assessment(grade: str | None = None, reason: str = "", version: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {dimension: {"level": level, "note": ""} for dimension, level in HIGH_THREAT.items()}
    return body | {"grade": grade, "override_reason": reason, "expected_version": version}


def test_a_call_becomes_a_graded_incident_over_the_api(handler_client: Client) -> None:
    response = _post(handler_client, "/contacts", CALL)
    assert response.status_code == 201, response.content
    contact = response.json()
    assert (contact["bcu"], contact["borough"], contact["outcome"]) == ("CW", "Westminster", "open")

    response = _post(handler_client, f"/contacts/{contact['id']}/incident", {"position": "CW call handling 7"})
    assert response.status_code == 201, response.content
    incident = response.json()
    assert incident["reference"].startswith("CAD 1/")
    assert (incident["opening_category"], incident["contact_ids"], incident["version"]) == (
        "crime.violence",
        [contact["id"]],
        1,
    )
    assert incident["log"][0]["kind"] == "automatic"

    refused = _post(handler_client, f"/incidents/{incident['id']}/assessments", _assessment(grade="E"))
    assert refused.status_code == 422
    assert "say why you chose E" in refused.json()["error"]["message"]
    response = _post(handler_client, f"/incidents/{incident['id']}/assessments", _assessment(version=1))
    assert response.status_code == 201, response.content
    assert response.json()["assessment"]["grade"] == "I"
    assert response.json()["incident"]["version"] == 2

    detail = handler_client.get(f"{API}/incidents/{incident['id']}").json()
    assert [a["number"] for a in detail["assessments"]] == [1]
    assert detail["assessments"][0]["assessed_by"] == "ch.met"
    assert [e["kind"] for e in detail["log"]] == ["automatic", "assessed", "graded"]
    assert (detail["response_time"]["target_minutes"], detail["response_time"]["met"]) == (15, None)


def test_a_call_made_an_incident_in_one_request(handler_client: Client, handler: User) -> None:
    sent = CALL | {"source_reference": "NWAS-CAD-20261122-0042", "channel": "101", "position": "CW call handling 7"}
    response = _post(handler_client, "/incidents", sent)
    assert response.status_code == 201, response.content
    incident = response.json()
    contact = Contact.objects.get(pk=incident["contact_ids"][0])
    assert (contact.outcome, contact.incident_id, contact.channel) == ("incident", incident["id"], "101")
    assert (incident["bcu"], incident["opening_category"], incident["opening_qualifiers"]) == (
        "CW",
        "crime.violence",
        ["alcohol"],
    )
    entry = incident["log"][0]
    assert (entry["kind"], entry["position"]) == ("automatic", "CW call handling 7")
    assert entry["data"]["from_contact"]["contact_id"] == contact.pk  # who called stays on the contact
    assert "Sam Caller" not in str(entry)

    again = _post(handler_client, "/incidents", sent)  # the sender repeats itself: the same incident
    assert (again.status_code, again.json()["id"]) == (200, incident["id"])
    assert (Incident.objects.count(), Contact.objects.count()) == (1, 1)


def test_a_call_made_an_incident_is_answered_as_stored(handler_client: Client) -> None:
    # The 201 must say exactly what a later GET reads from the database.
    made = _post(handler_client, "/incidents", CALL)
    assert made.status_code == 201, made.content
    assert made.json() | {"response_time": None} == handler_client.get(
        f"{API}/incidents/{made.json()['id']}"
    ).json() | {"response_time": None}


def test_a_contact_made_an_incident_is_answered_as_stored(handler_client: Client) -> None:
    # The call-taking screen's second request answers as the one-request path does.
    contact = _post(handler_client, "/contacts", CALL).json()
    made = _post(handler_client, f"/contacts/{contact['id']}/incident", {"position": "CW call handling 7"})
    assert made.status_code == 201, made.content
    assert made.json()["log"], "the first log entry is in the answer"
    assert made.json() | {"response_time": None} == handler_client.get(
        f"{API}/incidents/{made.json()['id']}"
    ).json() | {"response_time": None}


def test_a_call_made_an_incident_in_one_request_changes_nothing_when_refused(
    handler_client: Client, client: Client, met: Force, make_user: MakeUser
) -> None:
    unknown = _post(handler_client, "/incidents", CALL | {"category": "crime.nothing_like_this"})
    assert unknown.status_code == 422
    assert "crime.nothing_like_this" in unknown.json()["error"]["message"]
    assert _post(handler_client, "/incidents", {k: v for k, v in CALL.items() if k != "category"}).status_code == 422
    client.force_login(make_user("analyst.met", met, "analyst"))
    assert _post(client, "/incidents", CALL).status_code == 403
    assert not Contact.objects.exists()
    assert not Incident.objects.exists()


def test_an_old_version_gets_409(handler_client: Client, handler: User) -> None:
    incident = new_incident(handler)
    assert _post(handler_client, f"/incidents/{incident.pk}/assessments", _assessment(version=1)).status_code == 201
    stale = _post(handler_client, f"/incidents/{incident.pk}/assessments", _assessment(version=1))
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "conflict"
    assert "reload" in stale.json()["error"]["message"]


def test_the_queue_puts_unresourced_then_oldest_first(client: Client, handler: User, dispatcher: User) -> None:
    first, second, third = new_incident(handler), new_incident(handler), new_incident(handler)
    client.force_login(dispatcher)
    assert _post(client, f"/incidents/{first.pk}/transition", {"to": "resourced"}).status_code == 200
    body = client.get(f"{API}/incidents").json()
    assert [i["id"] for i in body["items"]] == [second.pk, third.pk, first.pk]
    assert client.get(f"{API}/incidents", {"status": "resourced"}).json()["count"] == 1
    assert client.get(f"{API}/incidents", {"bcu": "NE"}).json()["count"] == 0
    assert client.get(f"{API}/incidents", {"status": "lost"}).status_code == 422


def test_closing_over_the_api(client: Client, handler: User, dispatcher: User) -> None:
    incident = new_incident(handler)
    client.force_login(dispatcher)
    refused = _post(client, f"/incidents/{incident.pk}/transition", {"to": "closed", "expected_version": 1})
    assert refused.status_code == 422
    assert "closing category and the result" in refused.json()["error"]["message"]
    closed = _post(
        client,
        f"/incidents/{incident.pk}/transition",
        {"to": "closed", "expected_version": 1, "closing_category": "crime.violence", "closing_result": "Arrest"},
    )
    assert closed.status_code == 200
    assert (closed.json()["status"], closed.json()["closing_result"]) == ("closed", "Arrest")
    again = _post(client, f"/incidents/{incident.pk}/transition", {"to": "at_scene"})
    assert again.status_code == 409
    assert "is closed: it cannot become at scene" in again.json()["error"]["message"]


def test_log_entries_and_corrections(handler_client: Client, handler: User) -> None:
    incident = new_incident(handler)
    wrong = _post(handler_client, f"/incidents/{incident.pk}/log", {"text": "Red car", "position": "CW dispatch 3"})
    assert wrong.status_code == 201
    fix = _post(handler_client, f"/incidents/{incident.pk}/log", {"text": "Blue car", "corrects": wrong.json()["id"]})
    assert (fix.json()["kind"], fix.json()["corrects_id"]) == ("correction", wrong.json()["id"])
    other = new_incident(handler)
    bad = _post(handler_client, f"/incidents/{other.pk}/log", {"text": "x", "corrects": wrong.json()["id"]})
    assert bad.status_code == 422


def test_resolve_link_and_duplicates(handler_client: Client, handler: User) -> None:
    incident = new_incident(handler)
    call = take_call(handler)
    offered = handler_client.get(f"{API}/contacts/{call.pk}/duplicates").json()
    assert [o["incident"]["id"] for o in offered] == [incident.pk]
    assert handler_client.get(f"{API}/incidents/{incident.pk}/duplicates").json() == []
    linked = _post(handler_client, f"/contacts/{call.pk}/link", {"incident_id": incident.pk})
    assert (linked.json()["outcome"], linked.json()["incident_reference"]) == ("linked", incident.reference)
    other = take_call(handler)
    resolved = _post(handler_client, f"/contacts/{other.pk}/resolve", {"resolution_code": "advice"})
    assert resolved.json()["outcome"] == "resolved"
    assert _post(handler_client, f"/contacts/{other.pk}/resolve", {"resolution_code": "advice"}).status_code == 409


def test_response_times_today(handler_client: Client, handler: User) -> None:
    new_incident(handler)
    rows = handler_client.get(f"{API}/response-times/today").json()
    assert rows == [
        {"bcu_code": "CW", "bcu_name": "Central West", "by_grade": {"ungraded": 1}, "met": 0, "missed": 0,
         "pending": 0, "percent_within_target": None}
    ]  # fmt: skip


def test_an_anpr_feed_with_a_token_and_repeats(client: Client, met: Force, make_user: MakeUser) -> None:
    admin = make_user("admin.met", met, "force_admin", "call_handler")
    permission = Permission.objects.get(content_type__app_label="control", codename="add_contact")
    made = tokens.create_api_token(actor=admin, force=met, name="ANPR feed", permissions=[permission])
    headers = {"Authorization": f"Bearer {made.secret}"}
    hit = {
        "plate": "ab12 cde",
        "camera": "CAM-A40-0117",
        "seen_at": "2026-11-22T03:14:00Z",
        "hotlist": "PNC stolen",
        "reason": "Stolen 21/11",
        "read_id": "READ-1",
        "lat": TRAFALGAR_SQUARE[0],
        "lon": TRAFALGAR_SQUARE[1],
    }
    first = client.post(f"{API}/anpr", hit, content_type="application/json", headers=headers)
    assert first.status_code == 201, first.content
    assert first.json()["details"]["plate"] == "AB12CDE"
    assert first.json()["received_by"] == "API client ANPR feed"
    again = client.post(f"{API}/anpr", hit, content_type="application/json", headers=headers)
    assert (again.status_code, again.json()["id"]) == (200, first.json()["id"])
    alarm = {"alarm_id": "URN-1", "premises": "Jewellers, 4 Burlington Arcade", "alarm_type": "intruder",
             "activated_at": "2026-11-22T02:05:00Z"}  # fmt: skip
    response = client.post(f"{API}/alarms", alarm, content_type="application/json", headers=headers)
    assert response.status_code == 201
    assert (response.json()["channel"], response.json()["address"]) == ("alarm", "Jewellers, 4 Burlington Arcade")
    assert client.get(f"{API}/incidents", headers=headers).status_code == 403  # the feed cannot read


def test_an_analyst_cannot_create_incidents(client: Client, handler: User, met: Force, make_user: MakeUser) -> None:
    call = take_call(handler)
    client.force_login(make_user("analyst.met", met, "analyst"))
    assert client.get(f"{API}/incidents").status_code == 200
    assert _post(client, "/contacts", CALL).status_code == 403
    response = _post(client, f"/contacts/{call.pk}/incident", {})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Incident.objects.exists()


def test_a_response_officer_can_read_but_not_grade(
    client: Client, handler: User, met: Force, make_user: MakeUser
) -> None:
    incident = new_incident(handler)
    client.force_login(make_user("pc.met", met, "response_officer"))
    assert client.get(f"{API}/incidents/{incident.pk}").status_code == 200
    assert _post(client, f"/incidents/{incident.pk}/assessments", _assessment()).status_code == 403
    assert _post(client, f"/incidents/{incident.pk}/log", {"text": "x"}).status_code == 403


def test_strangers_must_sign_in(client: Client) -> None:
    assert client.get(f"{API}/incidents").status_code == 401


# Another force's records: 404 on every path that names one ------------------------------------


def _met_records(handler: User) -> dict[str, int]:
    incident = new_incident(handler)
    ids = {"contact_id": take_call(handler).pk, "incident_id": incident.pk}
    return ids | _met_resources(handler.force, incident)


def _met_resources(force: Force | None, incident: Incident) -> dict[str, int]:
    """A Met unit assigned to the incident and with urgent assistance raised (its alert open)."""
    from bluelamp.business.services import load_skills
    from bluelamp.control.units.services import load_unit_types

    load_skills()
    load_unit_types()
    assert force is not None
    boss = make_user_in(force, "sup.records", "control_supervisor", "dispatcher")
    unit = make_unit(boss, "CW99", "FOOT", officer(force, "Patrol"))
    assignment = unit_assignments.assign_unit(actor=boss, incident=incident, unit=unit)
    alert = urgent_services.raise_urgent_assistance(actor=boss, unit=unit).alert
    return {"unit_id": unit.pk, "assignment_id": assignment.pk, "alert_id": alert.pk}


def make_user_in(force: Force, username: str, *roles: str) -> User:
    user = User.objects.create_user(username=username, password="a-long-test-password", force=force)
    for code in roles:
        Role.objects.get(force=force, code=code).members.add(user)
    return User.objects.get(pk=user.pk)


def _resource_state() -> tuple[object, ...]:
    return (
        list(Resource.objects.values_list("pk", "version", "status_id")),
        list(Assignment.objects.values_list("pk", "state")),
        list(UrgentAssistance.objects.values_list("pk", "acknowledged_at")),
        UnitStatusChange.objects.count(),
        IncidentLogEntry.objects.count(),
    )


ID_PATHS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("get", "/contacts/{contact_id}", None),
    ("post", "/contacts/{contact_id}/resolve", {"resolution_code": "advice"}),
    ("post", "/contacts/{contact_id}/link", {"incident_id": 0}),
    ("post", "/contacts/{contact_id}/incident", {}),
    ("get", "/contacts/{contact_id}/duplicates", None),
    ("get", "/incidents/{incident_id}", None),
    ("post", "/incidents/{incident_id}/assessments", _assessment()),
    ("post", "/incidents/{incident_id}/log", {"text": "hello from the City"}),
    ("post", "/incidents/{incident_id}/transition", {"to": "resourced"}),
    ("get", "/incidents/{incident_id}/duplicates", None),
    ("post", "/incidents/{incident_id}/assignments", {"unit_id": 0}),
    ("get", "/units/{unit_id}", None),
    ("post", "/units/{unit_id}/status", {"status": "REF"}),
    ("post", "/units/{unit_id}/urgent-assistance", {}),
    ("post", "/assignments/{assignment_id}/advance", {"to": "en_route"}),
    ("post", "/urgent-assistance/{alert_id}/acknowledge", {}),
]


def test_every_control_path_with_an_id_is_listed_here(client: Client) -> None:
    paths = {
        path for path in client.get("/api/v1/openapi.json").json()["paths"] if path.startswith(API) and "{" in path
    }
    assert paths == {API + path for _, path, _ in ID_PATHS}


@pytest.mark.parametrize(("method", "path", "body"), ID_PATHS)
def test_another_forces_records_are_not_found(
    client: Client, handler: User, city_handler: User, method: str, path: str, body: dict[str, Any] | None
) -> None:
    ids = _met_records(handler)
    before = _resource_state()
    version = Incident.objects.get(pk=ids["incident_id"]).version
    client.force_login(User.objects.get(pk=city_handler.pk))
    url = API + path.format(**ids)
    response = client.get(url) if method == "get" else _post(client, path.format(**ids), body or {})
    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"
    assert "Sam Caller" not in response.text
    assert Contact.objects.filter(outcome="open").count() == 1  # the other became the incident
    assert Incident.objects.get(pk=ids["incident_id"]).version == version
    assert _resource_state() == before


def test_linking_to_another_forces_incident_is_not_found(
    handler_client: Client, handler: User, city_handler: User
) -> None:
    city_incident = new_incident(city_handler)
    call = take_call(handler)
    response = _post(handler_client, f"/contacts/{call.pk}/link", {"incident_id": city_incident.pk})
    assert response.status_code == 404
