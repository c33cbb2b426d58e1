"""The POLE API: history, a person's details with X-Justification, a vehicle's markers."""

from __future__ import annotations

import pytest
from django.test import Client

from bluelamp.core.models import AuditEntry, User
from tests.pole.conftest import AT, HERE, Scene

pytestmark = pytest.mark.django_db


def test_the_history_lists_people_by_id_only(handler_client: Client, scene: Scene) -> None:
    response = handler_client.get("/api/v1/pole/history", {"lat": HERE[0], "lon": HERE[1], "at": AT.isoformat()})
    assert response.status_code == 200
    body = response.json()
    assert [e["source_id"] for e in body["previous_incidents"]] == ["CAD 101/14AUG25"]
    assert body["people_with_markers"] == [
        {
            "person_id": scene.person.pk,
            "roles": ["caller"],
            "markers": [
                {
                    "marker_type": "violence",
                    "label": "Violence",
                    "review_on": "2027-03-01",
                    "review_overdue": False,
                    "detail": "",
                }
            ],
        }
    ]
    assert body["objects_with_markers"][0]["identifier"] == "AB12CDE"
    assert "Specimen" not in response.text


def test_the_history_refuses_nonsense(handler_client: Client, met: object) -> None:
    assert handler_client.get("/api/v1/pole/history", {"lat": 95, "lon": 0}).status_code == 422
    assert handler_client.get("/api/v1/pole/history", {"lat": 51.5, "lon": 0, "radius_m": 0}).status_code == 422


def test_a_persons_details_need_a_justification_which_is_logged(
    handler_client: Client, scene: Scene, handler: User
) -> None:
    url = f"/api/v1/pole/people/{scene.person.pk}"
    refused = handler_client.get(url)
    assert refused.status_code == 422
    assert "X-Justification" in refused.json()["error"]["message"]
    assert not AuditEntry.objects.filter(operation="consultation").exists()
    shown = handler_client.get(url, headers={"X-Justification": "Call 4711: checking the caller"})
    assert shown.status_code == 200
    body = shown.json()
    assert (body["surname"], body["date_of_birth"]) == ("Specimen", "1990-01-02")
    assert [(link["role"], link["event"]["source_id"]) for link in body["links"]] == [("caller", "CAD 101/14AUG25")]
    [entry] = AuditEntry.objects.filter(operation="consultation")
    assert (entry.justification, entry.details, entry.actor) == (
        "Call 4711: checking the caller",
        {"via": "API"},
        handler,
    )


def test_a_vehicles_markers_by_plate(handler_client: Client, scene: Scene) -> None:
    response = handler_client.get("/api/v1/pole/vehicles/ab12 cde/markers")
    assert response.status_code == 200
    assert [m["marker_type"] for m in response.json()["markers"]] == ["weapons"]
    assert handler_client.get("/api/v1/pole/vehicles/ZZ99ZZZ/markers").status_code == 404


def test_another_forces_records_are_not_found(client: Client, scene: Scene, city_handler: User) -> None:
    client.force_login(city_handler)
    why = {"X-Justification": "testing isolation"}
    for url in (f"/api/v1/pole/people/{scene.person.pk}", "/api/v1/pole/vehicles/AB12CDE/markers"):
        response = client.get(url, headers=why)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert not AuditEntry.objects.filter(operation="consultation").exists()


def test_without_the_permission_the_api_refuses(client: Client, scene: Scene, analyst: User) -> None:
    client.force_login(analyst)
    why = {"X-Justification": "curious"}
    assert client.get(f"/api/v1/pole/people/{scene.person.pk}", headers=why).status_code == 403
    assert client.get("/api/v1/pole/history", {"lat": HERE[0], "lon": HERE[1]}).status_code == 403
    assert client.get("/api/v1/pole/vehicles/AB12CDE/markers").status_code == 403
