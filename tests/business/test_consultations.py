"""Every list of people the workforce record shows (search page and API, who is authorised,
expiring authorisations) is recorded as one consultation per page naming the people on it
(DPA 2018 s.62), not one entry per row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from bluelamp.business import services, views
from bluelamp.business.models import Person
from bluelamp.core.models import AuditEntry, Force, User

pytestmark = pytest.mark.django_db
API = "/api/v1/business"


@pytest.fixture
def thirty(met: Force, hr: User) -> list[Person]:
    """More people than one page shows (PAGE_SIZE 25 on the page, 50 per API page)."""
    people = [
        services.add_person(
            actor=hr,
            force=met,
            staff_number=f"2000{n:02}",
            first_name="Alex",
            last_name=f"Person{n:02}",
            rank_or_grade="PC",
        )
        for n in range(30)
    ]
    soon = timezone.localdate() + dt.timedelta(days=10)
    for person in people[:3]:
        services.grant_authorisation(
            actor=hr, person=person, skill_code="AFO", valid_from=dt.date(2026, 1, 1), valid_until=soon
        )
    return people


def listed() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(operation="consultation", record_type="business.people").order_by("pk"))


def test_a_page_of_the_people_search_is_one_entry_naming_the_people_shown(
    hr_client: Client, thirty: list[Person]
) -> None:
    first = hr_client.get("/hr/people/").content.decode()
    (entry,) = listed()
    assert len(entry.record_ids) == views.PAGE_SIZE
    assert all(Person.objects.get(pk=pk).last_name in first for pk in entry.record_ids)
    assert entry.details == {"via": "people search page"}
    hr_client.get("/hr/people/?page=2")
    second = listed()[1]
    assert len(second.record_ids) == len(thirty) - views.PAGE_SIZE
    assert sorted(map(int, entry.record_ids + second.record_ids)) == sorted(p.pk for p in thirty)


def test_a_page_of_the_people_api_is_one_entry_naming_the_people_returned(
    hr_client: Client, thirty: list[Person]
) -> None:
    answer = hr_client.get(f"{API}/people?limit=10&offset=5").json()
    (entry,) = listed()
    assert entry.record_ids == [str(item["id"]) for item in answer["items"]]
    assert len(entry.record_ids) == 10
    assert entry.details == {"via": "API"}


def test_who_is_authorised_over_the_api_is_recorded(hr_client: Client, thirty: list[Person]) -> None:
    answer = hr_client.get(f"{API}/authorised?skill=AFO").json()
    (entry,) = listed()
    assert (
        sorted(entry.record_ids)
        == sorted(str(p.pk) for p in thirty[:3])
        == sorted(str(i["id"]) for i in answer["items"])
    )


@pytest.mark.parametrize(("path", "via"), [("/hr/expiring/", "expiring page"), (f"{API}/expiring", "API")])
def test_expiring_authorisations_are_recorded(hr_client: Client, thirty: list[Person], path: str, via: str) -> None:
    assert hr_client.get(path).status_code == 200
    (entry,) = listed()
    assert sorted(entry.record_ids) == sorted(str(p.pk) for p in thirty[:3])
    assert entry.details == {"via": via}


def test_an_empty_search_records_nothing(hr_client: Client, thirty: list[Person]) -> None:
    assert "0 people" in hr_client.get("/hr/people/?q=nobody-by-this-name").text
    assert listed() == []
