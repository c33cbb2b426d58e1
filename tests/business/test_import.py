"""The HR system's CSV extract: all or nothing, every problem reported by row and column,
re-imports update rather than duplicate, and only ever the importer's own force."""

from __future__ import annotations

import codecs
import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from bluelamp.business import demo, services, workforce_csv
from bluelamp.business.models import Authorisation, Person, Post, Unit
from bluelamp.business.workforce_csv import COLUMNS, RowError, WorkforceImportRejected
from bluelamp.core.errors import InvalidInput, NotFound, PermissionDenied
from bluelamp.core.models import AuditEntry, Bcu, Force, OutboxEvent, User
from tests.business.conftest import MakeUser

pytestmark = pytest.mark.django_db

BASE_ROWS = [
    {"staff_number": "200001", "warrant_number": "W1", "first_name": "Priya", "last_name": "Example",
     "rank_or_grade": "Inspector", "unit_code": "CW-RESP-A", "bcu_code": "CW", "line_manager_staff_number": "",
     "post_number": "P-1", "skills": "FIRST_AID:2025-03-01:2028-02-28"},
    {"staff_number": "200002", "warrant_number": "W2", "first_name": "Tom", "last_name": "Sample",
     "rank_or_grade": "Sergeant", "unit_code": "CW-RESP-A", "bcu_code": "", "line_manager_staff_number": "200001",
     "post_number": "P-2", "skills": "AFO:2026-01-01:2027-01-01;TASER:2025-06-01:"},
    {"staff_number": "200003", "warrant_number": "", "first_name": "Jo", "last_name": "Placeholder",
     "rank_or_grade": "PCSO", "unit_code": "ARV", "bcu_code": "", "line_manager_staff_number": "200002",
     "post_number": "", "skills": ""},
]  # fmt: skip


def csv_bytes(rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS, bom: bool = False) -> bytes:
    lines = [",".join(columns)] + [",".join(row.get(c, "") for c in columns) for row in rows]
    text = "\r\n".join(lines) + "\r\n"
    return (codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8")


def changed(row: int, **values: str) -> list[dict[str, str]]:
    """The base rows with some values of one spreadsheet row (2 = first person) replaced."""
    rows = [dict(r) for r in BASE_ROWS]
    rows[row - 2].update(values)
    return rows


def rejected(actor: User, force: Force, data: bytes) -> list[RowError]:
    with pytest.raises(WorkforceImportRejected) as caught:
        services.import_workforce_csv(actor=actor, force=force, file=data)
    return caught.value.errors


@pytest.fixture
def units(met_units: dict[str, Unit]) -> dict[str, Unit]:
    return met_units


@pytest.mark.usefixtures("units")
def test_a_good_file_creates_people_authorisations_posts_and_line_managers(hr: User, met: Force) -> None:
    result = services.import_workforce_csv(actor=hr, force=met, file=csv_bytes(BASE_ROWS), file_name="hr.csv")
    assert (result.created, result.updated, result.unchanged, result.authorisations_added) == (3, 0, 0, 3)
    tom = Person.objects.get(force=met, staff_number="200002")
    assert (tom.first_name, tom.line_manager.staff_number, tom.post.number) == ("Tom", "200001", "P-2")  # type: ignore[union-attr]
    assert tom.bcu.code == "CW"  # type: ignore[union-attr]  # the unit's BCU when the file leaves it empty
    assert tom.is_authorised("AFO", dt.date(2027, 1, 1))
    assert not tom.is_authorised("AFO", dt.date(2027, 1, 2))
    assert tom.is_authorised("TASER", dt.date(2099, 1, 1))
    assert Post.objects.get(force=met, number="P-1").unit.code == "CW-RESP-A"  # type: ignore[union-attr]
    entry = AuditEntry.objects.get(operation="collection", record_type="business.person")
    assert sorted(map(int, entry.record_ids)) == sorted(Person.objects.values_list("pk", flat=True))
    assert entry.details["file"] == "hr.csv"
    event = OutboxEvent.objects.get(topic="business.workforce.imported")
    assert (event.force, event.payload["created"]) == (met, 3)


@pytest.mark.usefixtures("units")
def test_importing_the_same_file_again_changes_nothing(hr: User, met: Force) -> None:
    services.import_workforce_csv(actor=hr, force=met, file=csv_bytes(BASE_ROWS))
    again = services.import_workforce_csv(actor=hr, force=met, file=csv_bytes(BASE_ROWS))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Person.objects.filter(force=met).count() == 3
    assert Authorisation.objects.count() == 3
    assert not AuditEntry.objects.filter(operation="alteration").exists()


@pytest.mark.usefixtures("units")
def test_a_newer_extract_updates_people_and_ends_what_it_no_longer_lists(hr: User, met: Force) -> None:
    services.import_workforce_csv(actor=hr, force=met, file=csv_bytes(BASE_ROWS))
    tom = Person.objects.get(staff_number="200002")
    future = services.grant_authorisation(
        actor=hr, person=tom, skill_code="DOG_HANDLER", valid_from=timezone.localdate() + dt.timedelta(days=5)
    )
    newer = changed(3, rank_or_grade="Inspector", skills="AFO:2026-01-01:2027-06-30")
    result = services.import_workforce_csv(actor=hr, force=met, file=csv_bytes(newer))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert (result.authorisations_changed, result.authorisations_ended) == (1, 2)
    tom.refresh_from_db()
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    assert tom.rank_or_grade == "Inspector"
    assert tom.authorisations.get(skill__code="AFO").valid_until == dt.date(2027, 6, 30)
    assert tom.authorisations.get(skill__code="TASER").valid_until == yesterday  # history kept
    assert not Authorisation.objects.filter(pk=future.pk).exists()  # never started: removed
    alteration = AuditEntry.objects.get(operation="alteration", details__source="workforce CSV import")
    assert alteration.record_ids == [str(tom.pk)]


@pytest.mark.usefixtures("units")
def test_two_people_may_swap_warrant_numbers_in_one_file(hr: User, met: Force) -> None:
    services.import_workforce_csv(actor=hr, force=met, file=csv_bytes(BASE_ROWS))
    rows = changed(2, warrant_number="W2")
    rows[1]["warrant_number"] = "W1"
    services.import_workforce_csv(actor=hr, force=met, file=csv_bytes(rows))
    assert Person.objects.get(staff_number="200001").warrant_number == "W2"


@pytest.mark.usefixtures("units")
@pytest.mark.parametrize(
    ("rows", "row", "column", "reason"),
    [
        (changed(2, first_name=""), 2, "first_name", "Enter the first name"),
        (changed(4, staff_number=""), 4, "staff_number", "Enter the staff number"),
        (changed(3, unit_code="NOPE"), 3, "unit_code", "There is no unit with code 'NOPE'"),
        (changed(4, bcu_code="ZZ"), 4, "bcu_code", "There is no BCU with code 'ZZ'. Use one of: AS, CE"),
        (changed(3, skills="JETPACK:2026-01-01:"), 3, "skills", "'JETPACK' is not a skill code"),
        (changed(3, skills="AFO:2026-13-01:"), 3, "skills", "'2026-13-01' in 'AFO:2026-13-01:' is not a date"),
        (changed(3, skills="AFO:2026-02-01:2026-01-31"), 3, "skills", "AFO ends on 2026-01-31, before it starts"),
        (changed(3, skills="AFO"), 3, "skills", "'AFO' needs a start date"),
        (changed(4, staff_number="200001"), 4, "staff_number", "Staff number 200001 is also on row 2"),
        (changed(4, warrant_number="W1"), 4, "warrant_number", "Warrant number W1 is also on row 2"),
        (changed(4, line_manager_staff_number="999"), 4, "line_manager_staff_number", "Line manager 999 is not in"),
        (changed(2, line_manager_staff_number="200001"), 2, "line_manager_staff_number", "their own line manager"),
        (changed(2, first_name="x" * 81), 2, "first_name", "the most allowed is 80"),
    ],
)
def test_one_bad_row_imports_nothing_and_says_where_and_why(
    hr: User, met: Force, rows: list[dict[str, str]], row: int, column: str, reason: str
) -> None:
    errors = rejected(hr, met, csv_bytes(rows))
    assert [(e.row, e.column) for e in errors] == [(row, column)]
    assert reason in errors[0].message
    assert not Person.objects.exists()
    assert not AuditEntry.objects.filter(record_type="business.person").exists()
    assert not OutboxEvent.objects.filter(topic="business.workforce.imported").exists()


@pytest.mark.usefixtures("units")
def test_every_problem_is_reported_at_once(hr: User, met: Force) -> None:
    rows = changed(2, first_name="", skills="AFO:yesterday:")
    rows[2]["unit_code"] = "NOPE"
    errors = rejected(hr, met, csv_bytes(rows))
    assert [(e.row, e.column) for e in errors] == [(2, "first_name"), (2, "skills"), (4, "unit_code")]
    assert str(errors[0]) == "Row 2, first_name: Enter the first name: every person needs one."


@pytest.mark.usefixtures("units")
def test_a_line_management_loop_is_refused(hr: User, met: Force) -> None:
    errors = rejected(hr, met, csv_bytes(changed(2, line_manager_staff_number="200003")))
    assert {e.row for e in errors} == {2, 3, 4}
    assert "200001 → 200003 → 200002 → 200001" in errors[0].message


@pytest.mark.usefixtures("units")
def test_a_line_manager_already_in_the_record_need_not_be_in_the_file(hr: User, met: Force) -> None:
    services.import_workforce_csv(actor=hr, force=met, file=csv_bytes(BASE_ROWS[:1]))
    services.import_workforce_csv(actor=hr, force=met, file=csv_bytes(BASE_ROWS[1:]))
    assert Person.objects.get(staff_number="200002").line_manager == Person.objects.get(staff_number="200001")


@pytest.mark.usefixtures("units")
def test_a_warrant_number_held_by_someone_else_is_refused(hr: User, met: Force) -> None:
    services.import_workforce_csv(actor=hr, force=met, file=csv_bytes(BASE_ROWS[:1]))
    newcomer = dict(BASE_ROWS[2], staff_number="200009", warrant_number="W1", line_manager_staff_number="")
    errors = rejected(hr, met, csv_bytes([newcomer]))
    assert [(e.row, e.column) for e in errors] == [(2, "warrant_number")]
    assert "already belongs to staff number 200001" in errors[0].message


@pytest.mark.usefixtures("units")
def test_excel_habits_are_accepted(hr: User, met: Force) -> None:
    """A byte order mark, spaced and capitalised headers, UK dates, blank trailing rows."""
    header = tuple(c.replace("_", " ").title() for c in COLUMNS)
    data = csv_bytes(changed(2, skills="AFO:01/02/2026:31/01/2027"), bom=True).replace(
        ",".join(COLUMNS).encode(), ",".join(header).encode()
    )
    result = services.import_workforce_csv(actor=hr, force=met, file=data + b",,,,,,,,,\r\n\r\n")
    assert result.created == 3
    afo = Authorisation.objects.get(person__staff_number="200001", skill__code="AFO")
    assert (afo.valid_from, afo.valid_until) == (dt.date(2026, 2, 1), dt.date(2027, 1, 31))


@pytest.mark.usefixtures("units")
@pytest.mark.parametrize(
    ("data", "row", "reason"),
    [
        (b"", 1, "The file is empty"),
        (",".join(COLUMNS).encode(), 2, "header row but no people"),
        (b"staff_number,first_name,last_name\r\n1,A,B\r\n", 1, "no warrant_number, rank_or_grade, unit_code"),
        (b"staff_number;first_name;last_name\r\n", 1, "not separated by commas"),
        (csv_bytes(changed(3, last_name="Sampl\u00e9")).replace("\u00e9".encode(), b"\xe9"), 3, "not UTF-8"),
        (codecs.BOM_UTF16_LE + "staff_number".encode("utf-16-le"), None, "UTF-16"),
        (csv_bytes(changed(2, last_name="Example,Extra")), 2, "A value containing a comma must be in double quotes"),
    ],
)
def test_file_level_problems(hr: User, met: Force, data: bytes, row: int | None, reason: str) -> None:
    errors = rejected(hr, met, data)
    assert errors[0].row == row
    assert reason in errors[0].message
    assert not Person.objects.exists()


def test_the_import_only_writes_to_the_importers_force(
    hr: User, city_hr: User, met: Force, city: Force, units: dict[str, Unit]
) -> None:
    with pytest.raises(PermissionDenied):
        services.import_workforce_csv(actor=city_hr, force=met, file=csv_bytes(BASE_ROWS))
    # The Met's unit codes mean nothing in the City of London Police.
    errors = rejected(city_hr, city, csv_bytes(BASE_ROWS))
    assert {e.column for e in errors} == {"unit_code", "bcu_code"}
    services.import_workforce_csv(actor=hr, force=met, file=csv_bytes(BASE_ROWS))
    city_rows = [dict(r, unit_code="", bcu_code="", post_number="") for r in BASE_ROWS]
    result = services.import_workforce_csv(actor=city_hr, force=city, file=csv_bytes(city_rows))
    assert result.created == 3  # the same staff numbers are other people in another force
    assert Person.objects.get(force=met, staff_number="200001").unit == units["CW-RESP-A"]
    assert Person.objects.filter(staff_number="200001").count() == 2


@pytest.mark.usefixtures("units")
def test_only_holders_of_the_import_permission_may_import(met: Force, make_user: MakeUser) -> None:
    dispatcher = make_user("disp", met, "dispatcher")
    with pytest.raises(PermissionDenied):
        services.import_workforce_csv(actor=dispatcher, force=met, file=csv_bytes(BASE_ROWS))
    assert not Person.objects.exists()


def test_the_example_workforce_loads(hr: User, met: Force) -> None:
    result = demo.load_example_workforce(actor=hr)
    assert (result.rows, result.created) == (16, 16)
    assert Unit.objects.get(force=met, code="CW-RESP-A").parent.code == "CW-RESP"  # type: ignore[union-attr]
    today = dt.date(2026, 11, 22)
    expiring = Authorisation.objects.filter(valid_until__gte=today, valid_until__lte=today + dt.timedelta(days=30))
    assert expiring.count() >= 4  # the demo shows red tags


def test_the_import_command_reports_problems_and_results(hr: User, met: Force, tmp_path: Any) -> None:
    from django.core.management import CommandError, call_command

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(changed(2, unit_code="NOPE")))
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_workforce", str(bad), user=hr.username)
    call_command("import_workforce", user=hr.username, example=True)
    assert Person.objects.filter(force=met).count() == 16


def test_units_stay_in_their_force(hr: User, met: Force, city: Force, met_units: dict[str, Unit]) -> None:
    with pytest.raises(InvalidInput, match="cannot sit inside itself"):
        services.save_unit(actor=hr, force=met, code="CW-RESP-A", name="Team A", parent=met_units["CW-RESP-A"])
    with pytest.raises(NotFound):
        services.save_unit(actor=hr, force=city, code="X", name="A unit in another force")
    city_bcu = Bcu.objects.create(force=city, code="CL", name="A City BCU")
    with pytest.raises(InvalidInput, match="BCU CL belongs to another force"):
        services.save_unit(actor=hr, force=met, code="X", name="X", bcu=city_bcu)
    assert not Unit.objects.filter(code="X").exists()


def test_parse_skills_on_its_own() -> None:
    entries, errors = workforce_csv.parse_skills(
        5, " afo:2026-01-01: ; ;TASER:2026-01-01:2026-12-31", frozenset({"AFO", "TASER"})
    )
    assert errors == []
    assert [(e.code, e.valid_until) for e in entries] == [("AFO", None), ("TASER", dt.date(2026, 12, 31))]
