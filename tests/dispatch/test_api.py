"""The dispatch API over HTTP: the AVL feed with a real API token, recommendations and
dispatching, operations, and cross-force isolation of every path that names a record."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from bluelamp.control.models import Incident, IncidentLogEntry
from bluelamp.core import tokens
from bluelamp.core.models import Force, Role, User
from bluelamp.dispatch import services
from bluelamp.dispatch.models import Operation, UnitPosition
from tests.control.conftest import new_incident
from tests.dispatch.conftest import TRAFALGAR, crewed, fix, send

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unit_reference_data")]
API = "/api/v1/dispatch"
CARNIVAL = {
    "type": "Feature",
    "properties": {"name": "Carnival route"},
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[-0.2150, 51.5120], [-0.1950, 51.5120], [-0.1950, 51.5250], [-0.2150, 51.5250],
                         [-0.2150, 51.5120]]],
    },
}  # fmt: skip
TRAFALGAR_BOX = {
    "type": "Polygon",
    "coordinates": [
        [[-0.1310, 51.5060], [-0.1250, 51.5060], [-0.1250, 51.5100], [-0.1310, 51.5100], [-0.1310, 51.5060]]
    ],
}


def _post(client: Client, path: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(f"{API}{path}", body, content_type="application/json", headers=headers)


def _window() -> tuple[str, str]:
    now = timezone.now()
    return (now - dt.timedelta(hours=1)).isoformat(), (now + dt.timedelta(hours=5)).isoformat()


def avl_token(force: Force) -> str:
    """A real API token for the AVL feed, made by the force administrator (roles.json lets them
    hand out dispatch.send_positions)."""
    admin = User.objects.create_user(username=f"admin.{force.code}", force=force)
    Role.objects.get(force=force, code="force_admin").members.add(admin)
    admin = User.objects.get(pk=admin.pk)
    permission = Permission.objects.get(content_type__app_label="dispatch", codename="send_positions")
    return tokens.create_api_token(actor=admin, force=force, name="AVL feed", permissions=[permission]).secret


def test_the_avl_feed_rejects_bad_items_and_keeps_the_good_ones(
    client: Client, met: Force, supervisor: User, django_capture_on_commit_callbacks: Any
) -> None:
    unit = crewed(supervisor, "CW1")
    secret = avl_token(met)
    items = [
        fix(unit, *TRAFALGAR, ago=60),
        {"unit": "CW1", "at": "yesterday", "lat": 51.5, "lon": -0.1},
        fix("ZZ99", *TRAFALGAR),
        fix(unit, 53.48, -2.24, ago=30),  # Manchester
        {
            "unit": "CW1",
            "at": (timezone.now() - dt.timedelta(seconds=10)).isoformat(),
            "easting": 530000.0,
            "northing": 180400.0,
        },
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, "/positions", {"items": items}, Authorization=f"Bearer {secret}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["accepted"] == 2
    assert [(r["index"], r["code"]) for r in body["rejected"]] == [
        (1, "malformed"),
        (2, "unknown_unit"),
        (3, "outside_service_area"),
    ]
    latest = UnitPosition.objects.get(unit=unit)
    assert latest.easting == pytest.approx(530000.0)
    # The token cannot read positions: it was given only the feed's permission.
    assert client.get(f"{API}/positions", headers={"Authorization": f"Bearer {secret}"}).status_code == 403


def test_a_dispatcher_cannot_send_positions(client: Client, dispatcher: User) -> None:
    client.force_login(dispatcher)
    assert _post(client, "/positions", {"items": []}).status_code == 403


def test_a_batch_over_the_limit_is_refused_whole(client: Client, met: Force) -> None:
    secret = avl_token(met)
    response = _post(client, "/positions", {"items": [{}] * 5001}, Authorization=f"Bearer {secret}")
    assert response.status_code == 422
    assert "at most 5,000" in response.json()["error"]["message"]


def test_latest_positions_and_history(
    client: Client, met: Force, supervisor: User, dispatcher: User, django_capture_on_commit_callbacks: Any
) -> None:
    unit = crewed(supervisor, "CW1")
    send(
        met,
        [fix(unit, 51.5080, -0.1281, ago=300), fix(unit, 51.5090, -0.1281, ago=200)],
        django_capture_on_commit_callbacks,
    )
    client.force_login(dispatcher)
    positions = client.get(f"{API}/positions").json()
    assert [(p["call_sign"], p["stale"]) for p in positions] == [("CW1", True)]
    assert positions[0]["lat"] == pytest.approx(51.5090)
    history = client.get(f"{API}/units/{unit.pk}/positions").json()
    assert len(history) == 2  # 100 s apart: both kept with samples every 30 s


def test_recommendation_and_one_keystroke_dispatch(
    client: Client,
    met: Force,
    supervisor: User,
    handler: User,
    dispatcher: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    near, far = crewed(supervisor, "CW1"), crewed(supervisor, "CW2")
    send(met, [fix(near, 51.5090, -0.1281), fix(far, 51.5200, -0.1000)], django_capture_on_commit_callbacks)
    incident = new_incident(handler)
    client.force_login(dispatcher)
    body = client.get(f"{API}/incidents/{incident.pk}/recommendation").json()
    assert [(c["call_sign"], c["recommended"]) for c in body["candidates"]] == [("CW1", True), ("CW2", False)]
    assert body["candidates"][0]["eta_seconds"] < body["candidates"][1]["eta_seconds"]
    assert body["no_candidate"] is None
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, f"/incidents/{incident.pk}/dispatch", {})
    assert response.status_code == 200, response.content
    assert response.json()["unit_ids"] == [near.pk]
    assert response.json()["overridden"] is False
    assert Incident.objects.get(pk=incident.pk).status == "resourced"


def test_an_override_needs_a_reason_which_goes_in_the_incident_log(
    client: Client,
    met: Force,
    supervisor: User,
    handler: User,
    dispatcher: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    near, far = crewed(supervisor, "CW1"), crewed(supervisor, "CW2")
    send(met, [fix(near, 51.5090, -0.1281), fix(far, 51.5200, -0.1000)], django_capture_on_commit_callbacks)
    incident = new_incident(handler)
    client.force_login(dispatcher)
    refused = _post(client, f"/incidents/{incident.pk}/dispatch", {"unit_id": far.pk})
    assert refused.status_code == 422
    assert "CW1" in refused.json()["error"]["message"]
    sent = _post(client, f"/incidents/{incident.pk}/dispatch", {"unit_id": far.pk, "reason": "CW2 knows the family"})
    assert sent.status_code == 200, sent.content
    assert sent.json()["overridden"] is True
    texts = list(IncidentLogEntry.objects.filter(incident=incident).values_list("text", flat=True))
    assert any(
        "Recommendation overridden: sending CW2 instead of CW1. Reason: CW2 knows the family" in t for t in texts
    )


def test_operations_over_the_api(client: Client, met: Force, supervisor: User, dispatcher: User) -> None:
    starts, ends = _window()
    client.force_login(supervisor)
    point = {"type": "Point", "coordinates": [0, 51]}
    bad = _post(
        client, "/operations", {"name": "X", "commander": "Y", "area": point, "starts_at": starts, "ends_at": ends}
    )
    assert bad.status_code == 422
    assert "polygon" in bad.json()["error"]["message"]
    made = _post(client, "/operations", {"name": "Carnival", "commander": "Ch Supt Gold", "area": CARNIVAL,
                                         "starts_at": starts, "ends_at": ends})  # fmt: skip
    assert made.status_code == 201, made.content
    operation_id = made.json()["id"]
    unit = crewed(supervisor, "CW1")
    reserved = _post(client, f"/operations/{operation_id}/units", {"unit_ids": [unit.pk]})
    assert reserved.json()["reserved_unit_ids"] == [unit.pk]
    assert _post(client, f"/operations/{operation_id}/log", {"text": "Briefing done"}).status_code == 201
    client.force_login(dispatcher)
    running = client.get(f"{API}/operations/running").json()
    assert [(r["name"], r["units"]) for r in running] == [("Carnival", 1)]
    log = client.get(f"{API}/operations/{operation_id}/log").json()
    assert [e["kind"] for e in log] == ["created", "unit_reserved", "text"]
    # A dispatcher sees operations but does not plan them.
    assert _post(client, f"/operations/{operation_id}/end", {}).status_code == 403


# Isolation ------------------------------------------------------------------------------------

ID_PATHS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("get", "/units/{unit_id}/positions", None),
    ("get", "/incidents/{incident_id}/recommendation", None),
    ("post", "/incidents/{incident_id}/dispatch", {}),
    ("get", "/operations/{operation_id}", None),
    ("post", "/operations/{operation_id}/units", {"unit_ids": []}),
    ("post", "/operations/{operation_id}/units/{unit_id}/release", {}),
    ("post", "/operations/{operation_id}/end", {}),
    ("get", "/operations/{operation_id}/log", None),
    ("post", "/operations/{operation_id}/log", {"text": "hello from the City"}),
]


def test_every_dispatch_path_with_an_id_is_listed_here(client: Client) -> None:
    paths = {
        path for path in client.get("/api/v1/openapi.json").json()["paths"] if path.startswith(API) and "{" in path
    }
    assert paths == {API + path for _, path, _ in ID_PATHS}


@pytest.mark.parametrize(("method", "path", "body"), ID_PATHS)
def test_another_forces_records_are_not_found(
    client: Client,
    met: Force,
    city: Force,
    supervisor: User,
    handler: User,
    make_user: Any,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    unit = crewed(supervisor, "CW1")
    incident = new_incident(handler)
    starts, ends = _window()
    operation = services.create_operation(
        actor=supervisor, name="Met op", commander="Gold", area=TRAFALGAR_BOX,
        starts_at=dt.datetime.fromisoformat(starts), ends_at=dt.datetime.fromisoformat(ends),
    )  # fmt: skip
    services.reserve_units(actor=supervisor, operation=operation, unit_ids=[unit.pk])
    intruder = make_user("everything.city", city, "control_supervisor", "dispatcher", "call_handler")
    client.force_login(intruder)
    ids = {"unit_id": unit.pk, "incident_id": incident.pk, "operation_id": operation.pk}
    url = API + path.format(**ids)
    response = client.get(url) if method == "get" else _post(client, path.format(**ids), body or {})
    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"
    assert Operation.objects.get(pk=operation.pk).version == 1
    assert operation.log.count() == 2
    assert Incident.objects.get(pk=incident.pk).status == "open"
