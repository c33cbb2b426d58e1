"""Control is split into contacts, incidents and units packages; what users and API clients see
must not move with the code: the API's paths and operation ids, and the screens' URL names."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from bluelamp.api import api

# As generated from the single control router before the split: clients built from the schema
# name their calls after these ids.
CONTROL_OPERATIONS = {
    ("POST", "/alarms", "alarm"),
    ("POST", "/anpr", "anpr_hit"),
    ("POST", "/assignments/{assignment_id}/advance", "advance_assignment"),
    ("POST", "/contacts", "create_contact"),
    ("GET", "/contacts/{contact_id}", "get_contact"),
    ("GET", "/contacts/{contact_id}/duplicates", "contact_duplicates"),
    ("POST", "/contacts/{contact_id}/incident", "create_incident"),
    ("POST", "/contacts/{contact_id}/link", "link_contact"),
    ("POST", "/contacts/{contact_id}/resolve", "resolve_contact"),
    ("GET", "/incidents", "list_incidents"),
    ("POST", "/incidents", "create_incident_from_call"),
    ("GET", "/incidents/{incident_id}", "get_incident"),
    ("POST", "/incidents/{incident_id}/assessments", "assess"),
    ("POST", "/incidents/{incident_id}/assignments", "assign_unit"),
    ("GET", "/incidents/{incident_id}/duplicates", "incident_duplicates"),
    ("POST", "/incidents/{incident_id}/log", "add_log_entry"),
    ("POST", "/incidents/{incident_id}/transition", "transition"),
    ("GET", "/response-times/today", "response_times_today"),
    ("GET", "/timers", "timers"),
    ("GET", "/units", "list_units"),
    ("GET", "/units/{unit_id}", "get_unit"),
    ("POST", "/units/{unit_id}/status", "set_unit_status"),
    ("POST", "/units/{unit_id}/urgent-assistance", "raise_urgent_assistance"),
    ("GET", "/urgent-assistance", "open_urgent_assistance"),
    ("POST", "/urgent-assistance/{alert_id}/acknowledge", "acknowledge_urgent_assistance"),
}


def test_the_api_keeps_the_paths_and_operation_ids_clients_were_built_against() -> None:
    prefix = "/api/v1/control"
    found = {
        (method.upper(), path.removeprefix(prefix), operation["operationId"].removeprefix("bluelamp_control_api_"))
        for path, operations in api.get_openapi_schema()["paths"].items()
        if path.startswith(prefix + "/")
        for method, operation in operations.items()
    }
    assert found == CONTROL_OPERATIONS


@pytest.mark.django_db
def test_a_path_two_domains_use_answers_every_method_it_had(client: Client) -> None:
    # GET /incidents (the queue) and POST /incidents (a call made an incident) sit in one router:
    # split over two, Django would match the first and answer the other method 405.
    assert client.get("/api/v1/control/incidents").status_code == 401
    assert client.post("/api/v1/control/incidents", {}, content_type="application/json").status_code == 401


@pytest.mark.parametrize(
    ("name", "kwargs", "path"),
    [
        ("take-call", {}, "/control/contacts/new"),
        ("contact", {"contact_id": 7}, "/control/contacts/7/"),
        ("queue", {}, "/control/incidents/"),
        ("incident", {"incident_id": 7}, "/control/incidents/7/"),
        ("add-log", {"incident_id": 7}, "/control/incidents/7/log"),
        ("assess", {"incident_id": 7}, "/control/incidents/7/assess"),
        ("transition", {"incident_id": 7}, "/control/incidents/7/status"),
        ("close", {"incident_id": 7}, "/control/incidents/7/close"),
        ("live", {}, "/control/live"),
        ("units", {}, "/control/units/"),
        ("unit-status", {"unit_id": 7}, "/control/units/7/status"),
        ("command", {}, "/control/command/"),
        ("map", {}, "/control/map/"),
        ("map-boundaries", {}, "/control/map/boundaries.geojson"),
        ("map-data", {}, "/control/map/data.json"),
        ("map-assign", {"incident_id": 7}, "/control/map/incidents/7/assign"),
        ("urgent", {}, "/control/urgent/"),
        ("acknowledge-urgent", {"alert_id": 7}, "/control/urgent/7/acknowledge"),
    ],
)
def test_the_screens_keep_their_url_names(name: str, kwargs: dict[str, int], path: str) -> None:
    assert reverse(f"control:{name}", kwargs=kwargs) == path
