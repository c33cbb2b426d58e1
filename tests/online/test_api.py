"""The forces' API for online reports: read (audited), message the reporter, give the crime
reference; another force's report is not there (404)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from bluelamp.core.models import AuditEntry
from bluelamp.online.models import Report
from bluelamp.online.samples import BANK_STATION
from tests.online.conftest import Walk

pytestmark = pytest.mark.django_db
API = "/api/v1/online"
# Every API path that names a report, with a body: tests/test_isolation.py counts on this list.
ID_PATHS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("get", "/reports/{reference}", None),
    ("post", "/reports/{reference}/messages", {"text": "Hello from the other force"}),
    ("post", "/reports/{reference}/crime-reference", {"crime_reference": "X-1"}),
]


REASON = "Calling the reporter back about their report"


def test_read_a_report_is_audited_with_the_reason(walk: Walk, client: Client, staff: Any) -> None:
    reference = walk.report("crime")
    client.force_login(staff("ch.met", "met", "call_handler"))
    response = client.get(f"{API}/reports/{reference}", headers={"X-Justification": REASON})
    assert response.status_code == 200
    assert response.json()["reporter_email"] == "sam@example.com"
    (entry,) = AuditEntry.objects.filter(record_type="online.report", operation="consultation")
    assert entry.justification == REASON
    assert entry.record_ids == [str(Report.objects.get(reference=reference).pk)]


def test_reading_a_report_without_a_reason_shows_nothing(walk: Walk, client: Client, staff: Any) -> None:
    reference = walk.report("crime")
    client.force_login(staff("ch.met", "met", "call_handler"))
    response = client.get(f"{API}/reports/{reference}")
    assert response.status_code == 422
    assert "X-Justification" in response.json()["error"]["message"]
    assert "sam@example.com" not in response.content.decode()
    assert not AuditEntry.objects.filter(record_type="online.report", operation="consultation").exists()


def test_message_and_crime_reference(walk: Walk, client: Client, staff: Any) -> None:
    reference = walk.report("crime")
    client.force_login(staff("ch.met", "met", "call_handler"))
    response = client.post(
        f"{API}/reports/{reference}/messages", {"text": "We are on it"}, content_type="application/json"
    )
    assert response.status_code == 201
    response = client.post(
        f"{API}/reports/{reference}/crime-reference",
        {"crime_reference": "c-77"},
        content_type="application/json",
        headers={"X-Justification": REASON},
    )
    assert response.json()["status"] == "crime_ref"
    consulted = AuditEntry.objects.filter(record_type="online.report", operation="consultation")
    assert list(consulted.values_list("justification", flat=True)) == [REASON]


def test_without_the_permission_it_is_refused(walk: Walk, client: Client, staff: Any) -> None:
    reference = walk.report("crime")
    client.force_login(staff("hr.met", "met", "hr"))
    assert client.get(f"{API}/reports/{reference}").status_code == 403


@pytest.mark.parametrize(("method", "path", "body"), ID_PATHS)
def test_another_forces_report_is_not_found(
    walk: Walk, client: Client, staff: Any, method: str, path: str, body: dict[str, Any] | None
) -> None:
    reference = walk.report("crime", place=BANK_STATION)  # a City report made on the Met site
    client.force_login(staff("ch.met", "met", "call_handler", "control_supervisor"))
    url = API + path.format(reference=reference)
    response = client.get(url) if method == "get" else client.post(url, body, content_type="application/json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "sam@example.com" not in response.text
    assert Report.objects.get(reference=reference).updates.count() == 1  # nothing added
