"""Invariants the database keeps whatever the code does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from bluelamp.business.models import Authorisation, Person, Skill
from bluelamp.core.models import Force

pytestmark = pytest.mark.django_db


def test_an_authorisation_cannot_end_before_it_starts(person: Person) -> None:
    afo = Skill.objects.get(code="AFO")
    with pytest.raises(IntegrityError), transaction.atomic():
        Authorisation.objects.create(
            person=person, skill=afo, valid_from=dt.date(2026, 5, 2), valid_until=dt.date(2026, 5, 1)
        )
    one_day = Authorisation.objects.create(
        person=person, skill=afo, valid_from=dt.date(2026, 5, 1), valid_until=dt.date(2026, 5, 1)
    )
    assert one_day.pk is not None


def test_staff_numbers_are_unique_within_a_force_only(met: Force, city: Force) -> None:
    Person.objects.create(force=met, staff_number="1", first_name="A", last_name="B", rank_or_grade="PC")
    Person.objects.create(force=city, staff_number="1", first_name="C", last_name="D", rank_or_grade="PC")
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(force=met, staff_number="1", first_name="E", last_name="F", rank_or_grade="PC")


def test_warrant_numbers_are_unique_within_a_force_when_given(met: Force, city: Force) -> None:
    def make(force: Force, staff: str, warrant: str) -> Person:
        return Person.objects.create(
            force=force, staff_number=staff, warrant_number=warrant, first_name="A", last_name="B", rank_or_grade="PC"
        )

    make(met, "1", "")
    make(met, "2", "")  # police staff: no warrant, many of them
    make(met, "3", "W1")
    make(city, "3", "W1")
    with pytest.raises(IntegrityError), transaction.atomic():
        make(met, "4", "W1")


def test_the_skills_of_the_brief_are_shipped_as_data() -> None:
    codes = set(Skill.objects.values_list("code", flat=True))
    assert {
        "RESPONSE_DRIVER",
        "ADVANCED_DRIVER",
        "AFO",
        "TASER",
        "PUBLIC_ORDER_L2",
        "FIRST_AID",
        "DOG_HANDLER",
    } <= codes


def test_import_permission_exists_for_roles_json() -> None:
    assert ("import_workforce", "Import the workforce record from the HR system's CSV extract") in (
        Person._meta.permissions
    )
