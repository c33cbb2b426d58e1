"""Pages, the health check and the API shell over HTTP (Django's test client)."""

from __future__ import annotations

import json

import pytest
from django.test import Client, RequestFactory

from bluelamp.api import unexpected_error
from bluelamp.core.errors import Conflict
from bluelamp.core.middleware import DomainErrorMiddleware
from tests.conftest import RunBluelamp

pytestmark = pytest.mark.django_db


def test_home_lists_the_six_systems(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert b'href="/hr/people/"' in response.content  # the systems that exist link to where they start
    for system in (
        "Single Online Home",
        "Command and Control",
        "POLE",
        "Enterprise Data Platform",
        "Smarter Working",
        "Met Business Services",
    ):
        assert system in response.content.decode()


def test_sign_in_page_and_admin_are_served(client: Client) -> None:
    assert client.get("/sign-in/").status_code == 200
    assert client.get("/admin/").status_code == 302  # to the admin's own sign-in


def test_healthz_reports_the_database(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    found = response.json()
    assert (found["status"], found["database"]) == ("ok", "ok")
    assert "control.live" in found["consumers"]  # each consumer's lag (tests/core/test_consumers.py)


def test_healthz_answers_503_when_the_database_is_unreachable(run_bluelamp: RunBluelamp) -> None:
    """Before a load balancer gives up: not after the pool's own wait for a connection (10 s)."""
    script = (
        "import time; from django.test import Client; started = time.monotonic(); r = Client().get('/healthz'); "
        "print(r.status_code, r.json()['database'], time.monotonic() - started)"
    )
    result = run_bluelamp("shell", "-c", script, env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"})
    status, database, seconds = result.stdout.strip().splitlines()[-1].split()
    assert (status, database) == ("503", "unreachable"), result.stderr
    assert float(seconds) < 10, "the health check waited as long as the pool does"


def test_openapi_schema_and_docs_are_served(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/geography/locate" in paths
    assert "/api/v1/geography/forces" in paths
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"cdn." not in docs.content  # Redoc from our own static files


@pytest.mark.usefixtures("london")
def test_locate_api_by_lat_lon_and_by_bng(client: Client) -> None:
    by_latlon = client.get("/api/v1/geography/locate", {"lat": 51.50809, "lon": -0.12804}).json()
    assert (by_latlon["borough_name"], by_latlon["bcu_code"], by_latlon["force_code"]) == ("Westminster", "CW", "met")
    by_bng = client.get("/api/v1/geography/locate", {"easting": 532711, "northing": 181106}).json()
    assert by_bng["force_name"] == "City of London Police"


@pytest.mark.usefixtures("london")
@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({"lat": 51.0, "lon": 1.6}, 404, "outside_service_area"),
        ({"lat": "north", "lon": 0}, 422, "invalid_input"),
        ({"lat": 95, "lon": 0}, 422, "invalid_input"),
        ({"lat": 51.5}, 422, "invalid_input"),
    ],
)
def test_locate_api_errors_are_typed(client: Client, query: dict[str, object], status: int, code: str) -> None:
    response = client.get("/api/v1/geography/locate", query)
    assert response.status_code == status
    body = response.json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_forces_api_lists_the_loaded_forces(client: Client, london: None) -> None:
    codes = [force["code"] for force in client.get("/api/v1/geography/forces").json()]
    assert codes == ["city", "met"]


def test_an_unexpected_api_error_never_shows_internals(rf: RequestFactory) -> None:
    response = unexpected_error(rf.get("/api/v1/x"), RuntimeError('SELECT * FROM "core_user" -- boom'))
    assert response.status_code == 500
    body = json.loads(response.content)
    assert body == {"error": {"code": "server_error", "message": "Something went wrong on our side."}}


def test_a_domain_error_on_a_page_becomes_a_clear_page(rf: RequestFactory) -> None:
    request = rf.get("/somewhere")
    middleware = DomainErrorMiddleware(lambda r: None)  # type: ignore[arg-type,return-value]
    response = middleware.process_exception(request, Conflict("Someone else changed this incident."))
    assert response is not None
    assert response.status_code == 409
    assert "Someone else changed this incident." in response.content.decode()
    assert middleware.process_exception(request, ValueError("not ours")) is None


def test_unknown_pages_get_the_friendly_404(client: Client) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"Page not found" in response.content
