"""Cross-force isolation: a member of staff of one force never sees another force's records.

Every staff URL and API endpoint that takes a record id is listed here (the first test fails
when a new one appears without being added), and each answers 404 — not 403, not data — for
another force's record. Lists and searches leave the other force's records out."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from bluelamp.business import services as business_services
from bluelamp.business.models import Person
from bluelamp.control.units import services as unit_services
from bluelamp.control.units import urgent as urgent_services
from bluelamp.control.units.services import load_unit_types
from bluelamp.core import audit, tokens
from bluelamp.core.models import ApiToken, Force, Role, User
from bluelamp.core.services import seed_roles
from bluelamp.mobility.models import Device, DeviceModel
from bluelamp.pole.models import Object as PoleObject
from bluelamp.pole.models import Person as PolePerson
from tests.control.conftest import new_incident, take_call
from tests.control.test_api import ID_PATHS as CONTROL_ID_PATHS
from tests.dispatch.test_api import ID_PATHS as DISPATCH_ID_PATHS
from tests.online.test_api import ID_PATHS as ONLINE_ID_PATHS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("london")]
EVERY_STAFF_ROLE = (
    "hr",
    "force_admin",
    "auditor",
    "dispatcher",
    "control_supervisor",
    "analyst",
    "data_protection_officer",
    "device_manager",
)


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        else:
            yield route


def routes_with_ids() -> set[str]:
    """Site routes that name a record, e.g. 'hr/people/<int:person_id>/'."""
    return {route for route in _routes(get_resolver().url_patterns) if "<int:" in route or "<str:" in route}


@pytest.fixture
def world() -> dict[str, object]:
    met, city = Force.objects.get(code="met"), Force.objects.get(code="city")
    for force in (met, city):
        seed_roles(force=force)
    business_services.load_skills()
    met_admin = User.objects.create_user(username="met-admin", force=met)
    Role.objects.get(force=met, code="force_admin").members.add(met_admin)
    met_person = Person.objects.create(
        force=met, staff_number="MET001", first_name="Olusegun", last_name="Metperson", rank_or_grade="PC"
    )
    audit.record(operation="collection", actor=met_admin, record_type="business.person", record_ids=[met_person.pk])
    met_token = tokens.create_api_token(actor=met_admin, force=met, name="Met ANPR feed", permissions=[]).token
    pole_person = PolePerson.objects.create(force=met, surname="Metperson", forenames="Olusegun")
    met_handler = User.objects.create_user(username="met-handler", force=met)
    Role.objects.get(force=met, code="call_handler").members.add(met_handler)
    met_handler = User.objects.get(pk=met_handler.pk)
    met_contact = take_call(met_handler, caller_name="Olusegun Metperson")
    met_incident = new_incident(met_handler, caller_name="Olusegun Metperson")
    PoleObject.objects.create(force=met, kind="vehicle", identifier="AB12CDE")
    load_unit_types()
    met_supervisor = User.objects.create_user(username="met-supervisor", force=met)
    Role.objects.get(force=met, code="control_supervisor").members.add(met_supervisor)
    met_supervisor = User.objects.get(pk=met_supervisor.pk)
    met_unit = unit_services.create_unit(actor=met_supervisor, call_sign="MD99", unit_type="FOOT")
    met_alert = urgent_services.raise_urgent_assistance(actor=met_supervisor, unit=met_unit).alert
    phone = DeviceModel.objects.create(force=met, name="Phone", capital_cost=420, running_cost=360)
    met_device = Device.objects.create(force=met, model=phone, serial_number="METSN1")
    intruder = User.objects.create_user(username="city-everything", force=city)
    for code in EVERY_STAFF_ROLE:
        Role.objects.get(force=city, code=code).members.add(intruder)
    return {
        "person": met_person,
        "role": Role.objects.get(force=met, code="dispatcher"),
        "token": met_token,
        "pole_person": pole_person,
        "contact": met_contact,
        "incident": met_incident,
        "intruder": User.objects.get(pk=intruder.pk),
        "unit": met_unit,
        "alert": met_alert,
        "device": met_device,
    }


# route -> (method, how to make the URL for the Met's record)
RECORD_URLS: dict[str, tuple[str, Callable[[dict[str, object]], str]]] = {
    "hr/people/<int:person_id>/": ("get", lambda w: f"/hr/people/{w['person'].pk}/"),  # type: ignore[attr-defined]
    "access/roles/<int:role_id>/": ("get", lambda w: f"/access/roles/{w['role'].pk}/"),  # type: ignore[attr-defined]
    "pole/people/<int:person_id>/": ("get", lambda w: f"/pole/people/{w['pole_person'].pk}/"),  # type: ignore[attr-defined]
    "control/contacts/<int:contact_id>/": ("get", lambda w: f"/control/contacts/{w['contact'].pk}/"),  # type: ignore[attr-defined]
    "control/incidents/<int:incident_id>/": ("get", lambda w: f"/control/incidents/{w['incident'].pk}/"),  # type: ignore[attr-defined]
    "control/incidents/<int:incident_id>/log": ("post", lambda w: f"/control/incidents/{w['incident'].pk}/log"),  # type: ignore[attr-defined]
    "control/incidents/<int:incident_id>/assess": (
        "post",
        lambda w: f"/control/incidents/{w['incident'].pk}/assess",  # type: ignore[attr-defined]
    ),
    "control/incidents/<int:incident_id>/status": (
        "post",
        lambda w: f"/control/incidents/{w['incident'].pk}/status",  # type: ignore[attr-defined]
    ),
    "control/incidents/<int:incident_id>/close": (
        "post",
        lambda w: f"/control/incidents/{w['incident'].pk}/close",  # type: ignore[attr-defined]
    ),
    "control/units/<int:unit_id>/status": ("post", lambda w: f"/control/units/{w['unit'].pk}/status"),  # type: ignore[attr-defined]
    "control/urgent/<int:alert_id>/acknowledge": (
        "post",
        lambda w: f"/control/urgent/{w['alert'].pk}/acknowledge",  # type: ignore[attr-defined]
    ),
    "control/map/incidents/<int:incident_id>/assign": (
        "post",
        lambda w: f"/control/map/incidents/{w['incident'].pk}/assign",  # type: ignore[attr-defined]
    ),
    "devices/<int:device_id>/": ("get", lambda w: f"/devices/{w['device'].pk}/"),  # type: ignore[attr-defined]
    "access/tokens/<int:token_id>/revoke": (
        "post",
        lambda w: f"/access/tokens/{w['token'].pk}/revoke",  # type: ignore[attr-defined]
    ),
}
API_RECORD_URLS: dict[str, Callable[[dict[str, object]], str]] = {
    "/api/v1/business/people/{person_id}": lambda w: f"/api/v1/business/people/{w['person'].pk}",  # type: ignore[attr-defined]
    "/api/v1/pole/people/{person_id}": lambda w: f"/api/v1/pole/people/{w['pole_person'].pk}",  # type: ignore[attr-defined]
    "/api/v1/pole/vehicles/{plate}/markers": lambda w: "/api/v1/pole/vehicles/AB12CDE/markers",
}


# Checked, path by path with a request body, by the app's own isolation test.
COVERED_BY_APP_TESTS = (
    {"/api/v1/control" + path for _, path, _ in CONTROL_ID_PATHS}
    | {"/api/v1/dispatch" + path for _, path, _ in DISPATCH_ID_PATHS}
    | {"/api/v1/online" + path for _, path, _ in ONLINE_ID_PATHS}
)


def test_every_route_that_names_a_record_is_covered_here(client: Client) -> None:
    uncovered = routes_with_ids() - set(RECORD_URLS) - {"admin/"}
    # Django's admin (superusers) and Wagtail's editor, where page rights are Wagtail's own per
    # force (tests/online/cms/test_editors.py checks a Met editor cannot touch a City page).
    uncovered = {route for route in uncovered if not route.startswith(("admin/", "cms/"))}
    assert uncovered == set(), "add these routes to RECORD_URLS with another force's record"
    api_paths = {path for path in client.get("/api/v1/openapi.json").json()["paths"] if "{" in path}
    assert api_paths == set(API_RECORD_URLS) | COVERED_BY_APP_TESTS, "add these API paths to API_RECORD_URLS"


@pytest.mark.parametrize("route", sorted(RECORD_URLS))
def test_another_forces_record_is_not_found_on_staff_pages(
    client: Client, world: dict[str, object], route: str
) -> None:
    client.force_login(world["intruder"])  # type: ignore[arg-type]
    method, make_url = RECORD_URLS[route]
    response = getattr(client, method)(
        make_url(world), {"justification": "testing isolation"} if method == "post" else None
    )
    assert response.status_code == 404
    assert b"Olusegun" not in response.content


@pytest.mark.parametrize("path", sorted(API_RECORD_URLS))
def test_another_forces_record_is_not_found_in_the_api(client: Client, world: dict[str, object], path: str) -> None:
    client.force_login(world["intruder"])  # type: ignore[arg-type]
    response = client.get(API_RECORD_URLS[path](world), headers={"X-Justification": "testing isolation"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_revoking_another_forces_token_changed_nothing(client: Client, world: dict[str, object]) -> None:
    client.force_login(world["intruder"])  # type: ignore[arg-type]
    client.post(f"/access/tokens/{world['token'].pk}/revoke")  # type: ignore[attr-defined]
    assert ApiToken.objects.get(pk=world["token"].pk).revoked_at is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/hr/people/", {}),
        ("/hr/people/", {"q": "Metperson"}),
        ("/hr/expiring/", {}),
        ("/access/roles/", {}),
        ("/access/tokens/", {}),
        ("/audit/", {"reason": "checking isolation", "record_type": "business.person"}),
        ("/api/v1/business/people", {}),
        ("/api/v1/business/expiring", {}),
        ("/pole/history/", {"lat": "51.50809", "lon": "-0.12804"}),
        ("/api/v1/pole/history", {"lat": "51.50809", "lon": "-0.12804"}),
        ("/api/v1/control/incidents", {}),
        ("/control/incidents/", {}),
        ("/control/units/", {}),
        ("/control/map/", {}),
        ("/control/map/data.json", {}),
        ("/control/command/", {}),
        ("/control/urgent/", {}),
    ],
)
def test_lists_and_searches_leave_other_forces_out(
    client: Client, world: dict[str, object], url: str, params: dict[str, str]
) -> None:
    client.force_login(world["intruder"])  # type: ignore[arg-type]
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    body = response.content.decode()
    for trace in ("Olusegun", "Metperson", "MET001", "Met ANPR feed", "Metropolitan Police Service"):
        if trace not in params.values():  # a search box shows back what was searched for
            assert trace not in body
    assert not re.search(rf"/access/roles/{world['role'].pk}/", body)  # type: ignore[attr-defined]
    assert "MD99" not in body  # the Met's unit (and its urgent-assistance alert)
