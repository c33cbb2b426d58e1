"""Staff pages: the history panel shows people only as an id; a person's details come after
saying why, every view is logged, other forces' people are not there (404), and roles without
the permission are refused (403)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from bluelamp.core import justification
from bluelamp.core.models import AuditEntry, User
from bluelamp.pole.models import Event
from tests.pole.conftest import HERE, Scene

pytestmark = pytest.mark.django_db
WHY = {"reason": "live_call", "detail": "Call 4711: checking the caller"}


def consultations() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(operation="consultation", record_type="pole.person"))


def test_the_history_page_shows_markers_and_incidents_but_no_names(handler_client: Client, scene: Scene) -> None:
    Event.objects.filter(pk=scene.incident.pk).update(
        occurred_at=timezone.now() - dt.timedelta(days=30)
    )  # the page asks about now
    response = handler_client.get("/pole/history/", {"lat": HERE[0], "lon": HERE[1]})
    assert response.status_code == 200
    text = response.text
    assert "CAD 101/14AUG25" in text
    assert "1 person (caller) with marker: Violence (review 3/2027)" in text
    assert f'href="/pole/people/{scene.person.pk}/"' in text
    assert "AB12CDE" in text
    assert "Machete seen in boot" in text
    assert "Specimen" not in text
    assert consultations() == []


def test_the_history_page_asks_for_a_place_and_explains_mistakes(handler_client: Client, met: object) -> None:
    assert "Show history" in handler_client.get("/pole/history/").text
    wrong = handler_client.get("/pole/history/", {"lat": "north", "lon": "200"})
    assert "govuk-error-summary" in wrong.text
    assert "Latitude must be a number" in wrong.text
    assert "<title>Error: " in wrong.text
    empty = handler_client.get("/pole/history/", {"lat": HERE[0], "lon": HERE[1]})
    assert "Nothing is recorded here" in empty.text


def test_the_details_are_shown_only_after_saying_why_and_the_reason_is_logged(
    handler_client: Client, scene: Scene, handler: User
) -> None:
    url = f"/pole/people/{scene.person.pk}/"
    asked = handler_client.get(url)
    assert "Why do you need to see this person's details?" in asked.text
    assert "Specimen" not in asked.text
    assert consultations() == []
    shown = handler_client.post(url, WHY, follow=True)
    assert shown.redirect_chain == [(url, 302)]
    assert "Jo Specimen" in shown.text
    assert "2 January 1990" in shown.text
    assert "CAD 101/14AUG25" in shown.text
    assert "Violence" in shown.text
    [entry] = consultations()
    assert entry.justification == "Dealing with a call or incident now: " + WHY["detail"]
    assert (entry.actor, entry.details) == (handler, {"reason": "live_call", "via": "staff page"})


def test_a_justification_is_reused_for_15_minutes_but_every_view_is_logged(
    handler_client: Client, scene: Scene
) -> None:
    url = f"/pole/people/{scene.person.pk}/"
    handler_client.post(url, WHY)
    handler_client.get(url)
    assert "Jo Specimen" in handler_client.get(url).text
    assert len(consultations()) == 2
    session = handler_client.session
    grant = session[justification.SESSION_KEY][f"pole.person:{scene.person.pk}"]
    grant["expires"] = (timezone.now() - dt.timedelta(seconds=1)).isoformat()
    session.save()
    assert "Why do you need" in handler_client.get(url).text
    assert len(consultations()) == 2


def test_an_incomplete_justification_shows_the_error_summary(handler_client: Client, scene: Scene) -> None:
    response = handler_client.post(f"/pole/people/{scene.person.pk}/", {"reason": "other", "detail": " "})
    assert "govuk-error-summary" in response.text
    assert "Give details of why you need to see this record" in response.text
    assert "Specimen" not in response.text
    assert consultations() == []


def test_another_forces_person_is_not_found(client: Client, scene: Scene, city_handler: User) -> None:
    client.force_login(city_handler)
    url = f"/pole/people/{scene.person.pk}/"
    assert client.get(url).status_code == 404
    assert client.post(url, WHY).status_code == 404
    assert "Specimen" not in client.get(url).text
    history = client.get("/pole/history/", {"lat": HERE[0], "lon": HERE[1]})
    assert "CAD 101/14AUG25" not in history.text


def test_without_the_permission_the_pages_are_refused(client: Client, scene: Scene, analyst: User) -> None:
    client.force_login(analyst)
    for url in (f"/pole/people/{scene.person.pk}/", f"/pole/history/?lat={HERE[0]}&lon={HERE[1]}"):
        response = client.get(url)
        assert response.status_code == 403
        assert "Your role does not allow this" in response.text


def test_pages_need_a_signed_in_user(client: Client, scene: Scene) -> None:
    response = client.get(f"/pole/people/{scene.person.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")
