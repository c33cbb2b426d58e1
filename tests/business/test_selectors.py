"""Reads: who is authorised for what and when, expiry, search, and scoping by force and role."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bluelamp.business import selectors, services
from bluelamp.business.models import Authorisation, Person, Skill, Unit
from bluelamp.core.errors import InvalidInput, NotFound, PermissionDenied
from bluelamp.core.models import AuditEntry, Force, User
from tests.business.conftest import MakeUser

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
START, END = dt.date(2026, 1, 1), dt.date(2026, 6, 30)


@pytest.fixture
def afo(person: Person, hr: User) -> Authorisation:
    return services.grant_authorisation(actor=hr, person=person, skill_code="AFO", valid_from=START, valid_until=END)


@pytest.mark.parametrize(
    ("day", "authorised"),
    [
        (START - dt.timedelta(days=1), False),  # before it starts
        (START, True),  # on the first day
        (dt.date(2026, 3, 15), True),
        (END, True),  # on the last day
        (END + dt.timedelta(days=1), False),  # after it ends
    ],
)
def test_authorised_for_a_skill_on_a_day(afo: Authorisation, person: Person, day: dt.date, authorised: bool) -> None:
    assert selectors.is_authorised(person=person, skill_code="AFO", at=day) is authorised
    assert person.is_authorised("AFO", day) is authorised
    assert selectors.authorisations_current_at("AFO", day).filter(pk=afo.pk).exists() is authorised


def test_no_end_date_means_no_expiry(person: Person, hr: User) -> None:
    services.grant_authorisation(actor=hr, person=person, skill_code="TASER", valid_from=START)
    assert person.is_authorised("TASER", dt.date(2099, 12, 31))
    assert not person.is_authorised("TASER", START - dt.timedelta(days=1))
    assert not person.is_authorised("AFO", START)  # another skill


def test_a_time_counts_on_its_london_day(afo: Authorisation, person: Person) -> None:
    # 23:30 UTC on the last day is already the next day in London (BST).
    assert not person.is_authorised("AFO", dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC))
    assert person.is_authorised("AFO", dt.datetime(2026, 6, 30, 23, 30, tzinfo=LONDON))


def test_authorised_people_are_active_people_of_the_actors_force(
    afo: Authorisation, person: Person, met: Force, city: Force, city_hr: User, make_user: MakeUser
) -> None:
    other = services.add_person(
        actor=city_hr, force=city, staff_number="9", first_name="C", last_name="D", rank_or_grade="PC"
    )
    services.grant_authorisation(actor=city_hr, person=other, skill_code="AFO", valid_from=START)
    dispatcher = make_user("disp", met, "dispatcher")
    assert list(selectors.authorised_people(actor=dispatcher, skill_code="afo", at=START)) == [person]
    Person.objects.filter(pk=person.pk).update(active=False)
    assert list(selectors.authorised_people(actor=dispatcher, skill_code="AFO", at=START)) == []


def test_authorised_people_needs_the_permission_and_a_known_skill(met: Force, make_user: MakeUser) -> None:
    with pytest.raises(PermissionDenied):
        selectors.authorised_people(actor=make_user("ch", met, "call_handler"), skill_code="AFO", at=START)
    with pytest.raises(InvalidInput, match="not a skill code"):
        selectors.authorised_people(actor=make_user("d", met, "dispatcher"), skill_code="JETPACK", at=START)


@pytest.mark.parametrize(
    ("until", "label", "colour"),
    [
        (None, "Current", "green"),
        (dt.date(2026, 12, 23), "Current", "green"),  # 31 days away
        (dt.date(2026, 12, 22), "Expires in 30 days", "red"),
        (dt.date(2026, 11, 23), "Expires in 1 day", "red"),
        (dt.date(2026, 11, 22), "Expires today", "red"),
        (dt.date(2026, 11, 21), "Expired", "red"),
    ],
)
def test_expiry_status(until: dt.date | None, label: str, colour: str) -> None:
    authorisation = Authorisation(valid_from=dt.date(2026, 1, 1), valid_until=until)
    status = selectors.expiry_status(authorisation, today=dt.date(2026, 11, 22))
    assert (status.label, status.colour) == (label, colour)


def test_a_future_authorisation_shows_when_it_starts() -> None:
    status = selectors.expiry_status(Authorisation(valid_from=dt.date(2027, 2, 1)), today=dt.date(2026, 11, 22))
    assert (status.label, status.colour) == ("Starts 1 February 2027", "grey")


def test_expiring_soon_lists_the_next_30_days_only(person: Person, hr: User) -> None:
    today = dt.date(2026, 11, 22)
    for code, until in [("AFO", 30), ("TASER", 31), ("FIRST_AID", -1), ("DOG_HANDLER", 0)]:
        services.grant_authorisation(
            actor=hr,
            person=person,
            skill_code=code,
            valid_from=dt.date(2025, 1, 1),
            valid_until=today + dt.timedelta(days=until),
        )
    found = selectors.expiring_soon(actor=hr, today=today)
    assert [a.skill.code for a in found] == ["DOG_HANDLER", "AFO"]


def test_people_search_and_filters(person: Person, met: Force, hr: User, met_units: dict[str, Unit]) -> None:
    services.add_person(
        actor=hr, force=met, staff_number="100002", first_name="Tom", last_name="Sample", rank_or_grade="PC"
    )
    services.grant_authorisation(actor=hr, person=person, skill_code="TASER", valid_from=dt.date(2020, 1, 1))
    assert list(selectors.people(actor=hr, search="speci")) == [person]
    assert list(selectors.people(actor=hr, search="100002")) == [Person.objects.get(staff_number="100002")]
    assert list(selectors.people(actor=hr, search="amira specimen")) == [person]
    assert list(selectors.people(actor=hr, unit_id=met_units["CW-RESP-A"].pk)) == [person]
    assert list(selectors.people(actor=hr, skill_code="TASER")) == [person]
    assert list(selectors.people(actor=hr, skill_code="TASER", authorised_at=dt.date(2019, 1, 1))) == []
    assert person.bcu is not None
    assert list(selectors.people(actor=hr, bcu_id=person.bcu.pk)) == [person]  # the unit's BCU by default


def test_another_forces_person_is_not_found_and_a_call_handler_is_refused(
    person: Person, city_hr: User, met: Force, make_user: MakeUser
) -> None:
    with pytest.raises(NotFound):
        selectors.check_person(actor=city_hr, person_id=person.pk)
    with pytest.raises(NotFound):
        selectors.consult_person(actor=city_hr, person_id=person.pk, justification="curious")
    assert list(selectors.people(actor=city_hr)) == []
    with pytest.raises(PermissionDenied):
        selectors.people(actor=make_user("ch", met, "call_handler"))


def test_consulting_a_record_needs_a_justification_and_is_logged(person: Person, hr: User) -> None:
    with pytest.raises(InvalidInput):
        selectors.consult_person(actor=hr, person_id=person.pk, justification="  ")
    assert not AuditEntry.objects.filter(operation="consultation").exists()
    found = selectors.consult_person(actor=hr, person_id=person.pk, justification="Rota check")
    entry = AuditEntry.objects.get(operation="consultation")
    assert found == person
    assert (entry.record_type, entry.record_ids, entry.justification, entry.actor) == (
        "business.person",
        [str(person.pk)],
        "Rota check",
        hr,
    )


def test_skills_reload_is_idempotent() -> None:
    before = Skill.objects.count()
    assert services.load_skills() == before
    assert Skill.objects.count() == before


def test_update_person_audits_which_fields_changed_not_their_values(
    person: Person, hr: User, met: Force, city: Force, city_hr: User, met_units: dict[str, Unit]
) -> None:
    manager = services.add_person(
        actor=hr, force=met, staff_number="100009", first_name="Vic", last_name="Example", rank_or_grade="Inspector"
    )
    services.update_person(actor=hr, person=person, rank_or_grade="Inspector", line_manager=manager, active=True)
    person.refresh_from_db()
    assert (person.rank_or_grade, person.line_manager) == ("Inspector", manager)
    entry = AuditEntry.objects.filter(operation="alteration").latest("id")
    assert entry.details == {"fields": ["line_manager", "rank_or_grade"]}  # "active" did not change
    assert "Inspector" not in str(entry.details)
    before = AuditEntry.objects.count()
    services.update_person(actor=hr, person=person, rank_or_grade="Inspector")  # no change: no entry
    assert AuditEntry.objects.count() == before
    with pytest.raises(InvalidInput, match="own line manager"):
        services.update_person(actor=hr, person=person, line_manager=person)
    with pytest.raises(InvalidInput, match="cannot be changed here"):
        services.update_person(actor=hr, person=person, staff_number="1")
    with pytest.raises(NotFound):
        services.update_person(actor=city_hr, person=person, rank_or_grade="Constable")
    city_unit = Unit.objects.create(force=city, code="CITY", name="City unit")
    with pytest.raises(InvalidInput, match="belongs to another force"):
        services.update_person(actor=hr, person=person, unit=city_unit)
    person.refresh_from_db()
    assert person.unit == met_units["CW-RESP-A"]
