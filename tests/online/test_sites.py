"""A force's public site answers on its hostname and, on a single host, under /sites/<code>/."""

import pytest

pytestmark = pytest.mark.django_db


def test_force_hostname_serves_that_forces_site(client, london):
    response = client.get("/report/", HTTP_HOST="cityoflondon.localhost:8000")
    assert response.status_code == 200
    assert "City of London Police" in response.content.decode()


def test_path_prefix_serves_the_same_site_on_one_host(client, london):
    response = client.get("/sites/met/report/")
    assert response.status_code == 200
    assert "Metropolitan Police" in response.content.decode()


def test_unknown_force_code_is_not_found(client, london):
    assert client.get("/sites/nowhere/report/").status_code == 404


def test_staff_host_has_no_report_pages_outside_a_site(client, london):
    assert client.get("/report/").status_code == 404


def test_public_links_keep_the_form_the_request_came_in(client, london):
    by_host = client.get("/report/", HTTP_HOST="met.localhost").content.decode()
    by_path = client.get("/sites/met/report/").content.decode()
    assert 'href="/report/"' in by_host
    assert 'href="/sites/met/report/"' in by_path


def test_health_check_answers_on_a_force_hostname_too(client, london):
    response = client.get("/healthz", HTTP_HOST="met.localhost")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"
