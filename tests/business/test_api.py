"""The workforce API: scoped lists, a justification for each record read (logged), who is
authorised for what at a time, for signed-in staff and for token clients."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from bluelamp.business import services
from bluelamp.business.models import Person
from bluelamp.core import tokens
from bluelamp.core.models import AuditEntry, Force, User
from tests.business.conftest import MakeUser

pytestmark = pytest.mark.django_db
API = "/api/v1/business"


@pytest.fixture
def afo(person: Person, hr: User) -> Person:
    services.grant_authorisation(
        actor=hr, person=person, skill_code="AFO", valid_from=dt.date(2026, 1, 1), valid_until=dt.date(2026, 6, 30)
    )
    return person


@pytest.fixture
def city_person(city: Force, city_hr: User) -> Person:
    other = services.add_person(
        actor=city_hr, force=city, staff_number="C1", first_name="Cit", last_name="Izen", rank_or_grade="PC"
    )
    services.grant_authorisation(actor=city_hr, person=other, skill_code="AFO", valid_from=dt.date(2026, 1, 1))
    return other


def test_people_are_listed_for_the_actors_force_only(hr_client: Client, afo: Person, city_person: Person) -> None:
    body = hr_client.get(f"{API}/people").json()
    assert body["count"] == 1
    assert body["items"][0] == {
        "id": afo.pk,
        "staff_number": "100001",
        "first_name": "Amira",
        "last_name": "Specimen",
        "rank_or_grade": "Sergeant",
        "unit_code": "CW-RESP-A",
        "bcu_code": "CW",
        "active": True,
    }
    held = hr_client.get(f"{API}/people", {"skill": "AFO", "authorised_at": "2026-06-30T12:00:00+01:00"}).json()
    lapsed = hr_client.get(f"{API}/people", {"skill": "AFO", "authorised_at": "2026-07-01T09:00:00+01:00"}).json()
    assert (held["count"], lapsed["count"]) == (1, 0)


def test_a_record_needs_a_justification_which_is_logged(hr_client: Client, afo: Person, hr: User) -> None:
    url = f"{API}/people/{afo.pk}"
    refused = hr_client.get(url)
    assert refused.status_code == 422
    assert "X-Justification" in refused.json()["error"]["message"]
    assert not AuditEntry.objects.filter(operation="consultation").exists()

    response = hr_client.get(url, headers={"X-Justification": "Checking AFO renewal for rota 12"})
    assert response.status_code == 200
    body = response.json()
    assert (body["warrant_number"], body["force_code"], body["unit_name"]) == ("210001", "met", "Response team A")
    assert body["authorisations"][0]["skill_code"] == "AFO"
    entry = AuditEntry.objects.get(operation="consultation")
    assert (entry.actor, entry.justification, entry.record_ids, entry.details) == (
        hr,
        "Checking AFO renewal for rota 12",
        [str(afo.pk)],
        {"via": "API"},
    )


def test_another_forces_record_is_not_found(client: Client, afo: Person, city_hr: User) -> None:
    client.force_login(city_hr)
    response = client.get(f"{API}/people/{afo.pk}", headers={"X-Justification": "curious"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "Specimen" not in response.text
    assert not AuditEntry.objects.filter(operation="consultation").exists()


def test_a_call_handler_is_refused_and_strangers_must_sign_in(
    client: Client, afo: Person, met: Force, make_user: MakeUser
) -> None:
    assert client.get(f"{API}/people").status_code == 401
    client.force_login(make_user("ch", met, "call_handler"))
    assert client.get(f"{API}/people").status_code == 403
    response = client.get(f"{API}/people/{afo.pk}", headers={"X-Justification": "x"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_who_is_authorised_at_a_time(
    client: Client, afo: Person, city_person: Person, met: Force, make_user: MakeUser
) -> None:
    client.force_login(make_user("disp", met, "dispatcher"))  # may ask this, not read whole records
    during = client.get(f"{API}/authorised", {"skill": "AFO", "at": "2026-03-01T10:00:00Z"}).json()
    after = client.get(f"{API}/authorised", {"skill": "AFO", "at": "2026-07-01T10:00:00+01:00"}).json()
    assert [p["staff_number"] for p in during["items"]] == ["100001"]  # not the City's officer
    assert after["count"] == 0
    unknown = client.get(f"{API}/authorised", {"skill": "JETPACK"})
    assert unknown.status_code == 422
    assert "not a skill code" in unknown.json()["error"]["message"]
    assert client.get(f"{API}/people").status_code == 403


def test_expiring_authorisations(hr_client: Client, person: Person, hr: User) -> None:
    today = timezone.localdate()
    services.grant_authorisation(
        actor=hr, person=person, skill_code="TASER", valid_from=today, valid_until=today + dt.timedelta(days=10)
    )
    body = hr_client.get(f"{API}/expiring").json()
    assert [(e["skill_code"], e["days_left"]) for e in body] == [("TASER", 10)]
    assert hr_client.get(f"{API}/expiring", {"within_days": 5}).json() == []
    assert hr_client.get(f"{API}/expiring", {"within_days": 999}).status_code == 422


def test_a_token_client_sees_its_own_force_with_its_own_permissions(
    client: Client, afo: Person, city_person: Person, met: Force, make_user: MakeUser
) -> None:
    admin = make_user("admin", met, "force_admin", "dispatcher")
    permission = Permission.objects.get(content_type__app_label="business", codename="view_authorisation")
    made = tokens.create_api_token(actor=admin, force=met, name="Resourcing", permissions=[permission])
    auth = {"Authorization": f"Bearer {made.secret}"}
    response = client.get(f"{API}/authorised", {"skill": "AFO", "at": "2026-03-01"}, headers=auth)
    assert response.status_code == 200
    assert [p["staff_number"] for p in response.json()["items"]] == ["100001"]
    assert client.get(f"{API}/people", headers=auth).status_code == 403  # not given view_person


def test_skills_and_the_schema(hr_client: Client) -> None:
    codes = [s["code"] for s in hr_client.get(f"{API}/skills").json()]
    assert "AFO" in codes
    assert "DOG_HANDLER" in codes
    paths = hr_client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/business/people", "/api/v1/business/people/{person_id}", "/api/v1/business/authorised"} <= set(
        paths
    )
