"""Staff pages: the justification comes before the record, every view is logged, other
forces' people are not there (404), and roles without the permission are refused (403)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from bluelamp.business import services
from bluelamp.business.models import Person
from bluelamp.core import justification
from bluelamp.core.models import AuditEntry, Force, User
from tests.business.conftest import MakeUser
from tests.business.test_import import BASE_ROWS, changed, csv_bytes

pytestmark = pytest.mark.django_db
WHY = {"reason": "deployment", "detail": "Checking AFO cover for rota 12"}


def consultations(person: Person) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(operation="consultation", record_ids=[str(person.pk)]))


def test_the_record_is_shown_only_after_saying_why_and_the_reason_is_logged(
    hr_client: Client, person: Person, hr: User
) -> None:
    url = f"/hr/people/{person.pk}/"
    asked = hr_client.get(url)
    assert asked.status_code == 200
    assert "Why do you need to see this record?" in asked.text
    assert "Specimen" not in asked.text
    assert "210001" not in asked.text
    assert consultations(person) == []

    shown = hr_client.post(url, WHY, follow=True)
    assert shown.redirect_chain == [(url, 302)]
    assert "Amira Specimen" in shown.text
    assert "210001" in shown.text
    [entry] = consultations(person)
    assert entry.justification == "Deployment or resourcing (checking skills and authorisations): " + WHY["detail"]
    assert (entry.actor, entry.record_type, entry.details["reason"]) == (hr, "business.person", "deployment")


def test_a_justification_is_reused_for_15_minutes_but_every_view_is_logged(hr_client: Client, person: Person) -> None:
    url = f"/hr/people/{person.pk}/"
    hr_client.post(url, WHY)
    hr_client.get(url)
    again = hr_client.get(url)
    assert "Amira Specimen" in again.text
    entries = consultations(person)
    assert len(entries) == 2
    assert entries[0].justification == entries[1].justification
    session = hr_client.session
    grant = session[justification.SESSION_KEY][f"business.person:{person.pk}"]
    grant["expires"] = (timezone.now() - dt.timedelta(seconds=1)).isoformat()
    session.save()
    expired = hr_client.get(url)
    assert "Why do you need to see this record?" in expired.text
    assert len(consultations(person)) == 2


def test_a_justification_covers_only_the_record_it_was_given_for(
    hr_client: Client, person: Person, hr: User, met: Force
) -> None:
    other = services.add_person(
        actor=hr, force=met, staff_number="100002", first_name="Tom", last_name="Sample", rank_or_grade="PC"
    )
    hr_client.post(f"/hr/people/{person.pk}/", WHY)
    assert "Why do you need to see this record?" in hr_client.get(f"/hr/people/{other.pk}/").text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"detail": "x"}, "Select why you need to see this record"),
        ({"reason": "other", "detail": "   "}, "Give details of why you need to see this record"),
        ({"reason": "made-up", "detail": "x"}, "Select a valid choice"),
    ],
)
def test_an_incomplete_justification_shows_the_error_summary(
    hr_client: Client, person: Person, data: dict[str, str], message: str
) -> None:
    response = hr_client.post(f"/hr/people/{person.pk}/", data)
    assert response.status_code == 200
    assert "govuk-error-summary" in response.text
    assert message in response.text
    assert "<title>Error: " in response.text
    assert "Specimen" not in response.text
    assert consultations(person) == []


def test_another_forces_person_is_not_found_on_the_page(client: Client, person: Person, city_hr: User) -> None:
    client.force_login(city_hr)
    assert client.get(f"/hr/people/{person.pk}/").status_code == 404
    assert client.post(f"/hr/people/{person.pk}/", WHY).status_code == 404
    assert client.get("/hr/people/999999/").status_code == 404
    listed = client.get("/hr/people/")
    assert "Specimen" not in listed.text
    assert "0 people" in listed.text


@pytest.mark.parametrize("path", ["/hr/people/", "/hr/people/{id}/", "/hr/import/", "/hr/expiring/"])
def test_a_call_handler_cannot_open_hr_records(
    client: Client, person: Person, met: Force, make_user: MakeUser, path: str
) -> None:
    client.force_login(make_user("ch", met, "call_handler"))
    response = client.get(path.format(id=person.pk))
    assert response.status_code == 403
    assert "Specimen" not in response.text
    assert "Your role does not allow this" in response.text


def test_pages_need_a_signed_in_user(client: Client, person: Person) -> None:
    response = client.get(f"/hr/people/{person.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/")


@pytest.mark.parametrize(
    ("days_left", "tag", "colour"),
    [(30, "Expires in 30 days", "red"), (31, "Current", "green"), (-1, "Expired", "red")],
)
def test_an_authorisation_shows_red_from_30_days_before_it_expires(
    hr_client: Client, person: Person, hr: User, days_left: int, tag: str, colour: str
) -> None:
    today = timezone.localdate()
    services.grant_authorisation(
        actor=hr,
        person=person,
        skill_code="TASER",
        valid_from=today - dt.timedelta(days=300),
        valid_until=today + dt.timedelta(days=days_left),
    )
    hr_client.post(f"/hr/people/{person.pk}/", WHY)
    page = hr_client.get(f"/hr/people/{person.pk}/").text
    assert f'<strong class="govuk-tag govuk-tag--{colour}">{tag}</strong>' in page


def test_the_expiring_page_lists_the_next_30_days(hr_client: Client, person: Person, hr: User) -> None:
    today = timezone.localdate()
    services.grant_authorisation(
        actor=hr, person=person, skill_code="AFO", valid_from=today, valid_until=today + dt.timedelta(days=3)
    )
    page = hr_client.get("/hr/expiring/").text
    assert "Amira Specimen" in page
    assert "Expires in 3 days" in page


def test_the_people_list_searches_filters_and_pages(hr_client: Client, hr: User, met: Force, person: Person) -> None:
    for number in range(30):
        services.add_person(
            actor=hr, force=met, staff_number=f"3{number:05}", first_name="Sam", last_name=f"Many{number:02}",
            rank_or_grade="PC",
        )  # fmt: skip
    first = hr_client.get("/hr/people/", {"q": "many"})
    assert "30 people" in first.text
    assert "Many00" in first.text
    assert "Many29" not in first.text
    second = hr_client.get("/hr/people/", {"q": "many", "page": 2})
    assert "Many29" in second.text
    assert "q=many" in second.text
    services.grant_authorisation(actor=hr, person=person, skill_code="AFO", valid_from=dt.date(2020, 1, 1))
    by_skill = hr_client.get("/hr/people/", {"skill": "AFO"})
    assert "1 person" in by_skill.text
    assert "Specimen" in by_skill.text
    assert 'value="AFO" selected' in by_skill.text


def test_importing_a_good_file_shows_what_changed(hr_client: Client, met: Force, met_units: object) -> None:
    response = hr_client.post("/hr/import/", {"file": _upload(csv_bytes(BASE_ROWS))})
    assert response.status_code == 200
    assert "3 people added" in response.text
    assert "govuk-notification-banner--success" in response.text
    assert Person.objects.filter(force=met).count() == 3


def test_importing_a_bad_file_lists_every_problem_and_imports_nothing(
    hr_client: Client, met: Force, met_units: object
) -> None:
    response = hr_client.post("/hr/import/", {"file": _upload(csv_bytes(changed(3, unit_code="NOPE")))})
    assert "govuk-error-summary" in response.text
    assert "Row 3, unit_code: There is no unit with code &#x27;NOPE&#x27;" in response.text
    assert "nothing was imported" in response.text
    assert not Person.objects.exists()
    missing = hr_client.post("/hr/import/", {})
    assert "Select the CSV file exported from the HR system" in missing.text


def test_no_page_has_inline_scripts_or_styles(hr_client: Client, person: Person) -> None:
    """The Content-Security-Policy forbids them."""
    pages = [hr_client.get(f"/hr/people/{person.pk}/"), hr_client.get("/hr/people/"), hr_client.get("/hr/import/")]
    pages.append(hr_client.post(f"/hr/people/{person.pk}/", WHY, follow=True))
    for page in pages:
        assert page.status_code == 200
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text)
        assert " style=" not in page.text
        assert "<style" not in page.text


def test_the_admin_sends_a_person_to_the_page_that_asks_why(client: Client, person: Person) -> None:
    admin = User.objects.create_superuser(username="root", password="a-long-test-password", email="r@example.org")
    client.force_login(admin)
    assert client.get("/admin/business/person/").status_code == 200
    response = client.get(f"/admin/business/person/{person.pk}/change/")
    assert response.status_code == 302
    assert response["Location"] == f"/hr/people/{person.pk}/"


def _upload(data: bytes) -> object:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("workforce.csv", data, content_type="text/csv")


def test_units_saved_in_the_admin_go_through_the_service(client: Client, met: Force) -> None:
    from bluelamp.business.models import Unit
    from bluelamp.core.models import Bcu, OutboxEvent

    admin = User.objects.create_superuser(
        username="root", password="a-long-test-password", email="r@example.org", force=met
    )
    client.force_login(admin)
    cw = Bcu.objects.get(force=met, code="CW")
    data = {"force": met.pk, "code": "CW-DOGS", "name": "Dogs", "kind": "unit", "bcu": cw.pk, "parent": ""}
    response = client.post("/admin/business/unit/add/", data)
    assert response.status_code == 302
    unit = Unit.objects.get(force=met, code="CW-DOGS")
    assert unit.bcu == cw
    assert OutboxEvent.objects.filter(topic="business.unit.saved", payload__code="CW-DOGS").exists()
