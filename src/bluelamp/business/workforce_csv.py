"""Reading and checking the HR system's workforce extract (CSV). Pure: nothing here touches
the database, so every rule can be tested on its own. ``services.import_workforce_csv``
gathers what the database knows into a :class:`Reference`, calls :func:`parse`, and writes
only when every row is good.

Row numbers are the ones a spreadsheet shows: the header is row 1, the first person row 2."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from bluelamp.core.errors import InvalidInput

COLUMNS = (
    "staff_number",
    "warrant_number",
    "first_name",
    "last_name",
    "rank_or_grade",
    "unit_code",
    "bcu_code",
    "line_manager_staff_number",
    "post_number",
    "skills",
)
OPTIONAL_COLUMNS = frozenset({"post_number"})
REQUIRED_VALUES = {
    "staff_number": "the staff number",
    "first_name": "the first name",
    "last_name": "the last name",
    "rank_or_grade": "the rank or grade",
}
# Longest value each column may hold (the model fields' sizes).
MAX_LENGTHS = {
    "staff_number": 20,
    "warrant_number": 20,
    "first_name": 80,
    "last_name": 80,
    "rank_or_grade": 60,
    "post_number": 32,
}
COLUMNS_ORDER = {name: index for index, name in enumerate(COLUMNS)}
DATE_HELP = "Write dates as YYYY-MM-DD, for example 2026-01-31."
Getter = Callable[[str], str]  # column name -> the row's value ("" when absent)
SKILLS_HELP = (
    "Write each skill as CODE:start:end, separated by ';', e.g. AFO:2026-01-01:2027-01-01 (no end date = no expiry)."
)


@dataclass(frozen=True)
class RowError:
    """One problem: where it is (row as a spreadsheet counts it, and column) and what to do."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = f"Row {self.row}" if self.row is not None else "File"
        return f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


class WorkforceImportRejected(InvalidInput):
    """The file has problems; nothing was imported. ``errors`` lists every one."""

    code = "workforce_import_rejected"

    def __init__(self, errors: Sequence[RowError]) -> None:
        count = len(errors)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"The file has {count} {noun}, so nothing was imported. Correct them and upload it again.")
        self.errors = list(errors)


@dataclass(frozen=True)
class SkillEntry:
    code: str
    valid_from: dt.date
    valid_until: dt.date | None


@dataclass(frozen=True)
class WorkforceRow:
    row: int
    staff_number: str
    warrant_number: str
    first_name: str
    last_name: str
    rank_or_grade: str
    unit_code: str
    bcu_code: str
    line_manager_staff_number: str
    post_number: str
    skills: tuple[SkillEntry, ...]


@dataclass
class Reference:
    """What the force's workforce record already holds, as far as checking a file needs."""

    force_name: str
    unit_codes: frozenset[str]
    bcu_codes: frozenset[str]
    skill_codes: frozenset[str]
    # staff number -> the staff number of their line manager ("" for none), for every person held
    line_managers: dict[str, str] = field(default_factory=dict)
    # warrant number -> staff number of the person holding it
    warrant_holders: dict[str, str] = field(default_factory=dict)

    _units_folded: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._units_folded = {code.casefold(): code for code in self.unit_codes}

    def unit_code(self, code: str) -> str | None:
        """The unit code as held, matched regardless of case; None when there is no such unit."""
        return self._units_folded.get(code.casefold())


def parse(data: bytes, reference: Reference) -> list[WorkforceRow]:
    """Every row of the file, checked; or :class:`WorkforceImportRejected` with every problem."""
    text = _decode(data)
    records = _records(text)
    header = next(records, None)
    if header is None or not any(value.strip() for value in header[1]):
        raise WorkforceImportRejected(
            [RowError(1, "", "The file is empty. Export the workforce from the HR system as CSV and upload that.")]
        )
    columns = _check_header(header[1])
    errors: list[RowError] = []
    rows: list[WorkforceRow] = []
    for number, values in records:
        if not any(value.strip() for value in values):
            continue  # spreadsheets often leave blank rows at the end
        row, row_errors = _parse_row(number, columns, values, reference)
        errors.extend(row_errors)
        if row is not None:
            rows.append(row)
    if not rows and not errors:
        errors.append(
            RowError(2, "", "The file has a header row but no people. Check that you exported the right file.")
        )
    errors.extend(_check_across_rows(rows, reference))
    if errors:
        raise WorkforceImportRejected(sorted(errors, key=lambda e: (e.row or 0, COLUMNS_ORDER.get(e.column, 99))))
    return rows


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise WorkforceImportRejected(
            [
                RowError(
                    None, "", "The file is UTF-16 text. Save it as 'CSV UTF-8 (Comma delimited)' and upload it again."
                )
            ]
        )
    try:
        return data.decode("utf-8-sig")  # "-sig" drops the byte order mark Excel writes
    except UnicodeDecodeError as error:
        row = data[: error.start].count(b"\n") + 1
        bad = data[error.start : error.start + 1].hex().upper()
        raise WorkforceImportRejected(
            [
                RowError(
                    row,
                    "",
                    f"The file is not UTF-8 text (byte 0x{bad} here). "
                    "In Excel, save it as 'CSV UTF-8 (Comma delimited)' and upload it again.",
                )
            ]
        ) from None


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, values) for each record; a quoted value may span lines but is one row."""
    reader = csv.reader(io.StringIO(text, newline=""))
    number = 0
    while True:
        number += 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise WorkforceImportRejected(
                [RowError(number, "", f"This row cannot be read as CSV ({error}). Check its quotes and commas.")]
            ) from None
        yield number, values


def _normalise_column(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _check_header(values: list[str]) -> list[str]:
    columns = [_normalise_column(value) for value in values]
    if len(columns) == 1 and (";" in values[0] or "\t" in values[0]):
        raise WorkforceImportRejected(
            [RowError(1, "", "The columns are not separated by commas. Save the file as CSV (comma-separated).")]
        )
    errors = []
    missing = [name for name in COLUMNS if name not in columns and name not in OPTIONAL_COLUMNS]
    if missing:
        errors.append(
            RowError(
                1,
                "",
                f"The header row has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}. "
                f"The first row must name the columns: {', '.join(COLUMNS)} (post_number may be left out).",
            )
        )
    repeated = sorted({name for name in columns if name and columns.count(name) > 1})
    if repeated:
        errors.append(RowError(1, "", f"The header row names {', '.join(repeated)} more than once. Keep one of each."))
    if errors:
        raise WorkforceImportRejected(errors)
    return columns


def _parse_row(
    number: int, columns: list[str], values: list[str], reference: Reference
) -> tuple[WorkforceRow | None, list[RowError]]:
    if len(values) > len(columns) and any(v.strip() for v in values[len(columns) :]):
        return None, [
            RowError(
                number,
                "",
                f"This row has {len(values)} values but the header has {len(columns)} columns. "
                "A value containing a comma must be in double quotes.",
            )
        ]
    cells = {name: value.strip() for name, value in zip(columns, values, strict=False)}

    def get(name: str) -> str:
        return cells.get(name, "")  # a short row's missing trailing cells count as empty

    errors = _check_required_and_lengths(number, get)
    errors += _check_codes(number, get, reference)
    skills, skill_errors = parse_skills(number, get("skills"), reference.skill_codes)
    errors += skill_errors
    # Built even when the row has problems, so checks across rows (duplicates, line managers)
    # still see its staff number.
    return (
        WorkforceRow(
            row=number,
            staff_number=get("staff_number"),
            warrant_number=get("warrant_number"),
            first_name=get("first_name"),
            last_name=get("last_name"),
            rank_or_grade=get("rank_or_grade"),
            unit_code=reference.unit_code(get("unit_code")) or "",
            bcu_code=get("bcu_code").upper(),
            line_manager_staff_number=get("line_manager_staff_number"),
            post_number=get("post_number"),
            skills=tuple(skills),
        ),
        errors,
    )


def _check_required_and_lengths(number: int, get: Getter) -> list[RowError]:
    errors = [
        RowError(number, column, f"Enter {label}: every person needs one.")
        for column, label in REQUIRED_VALUES.items()
        if not get(column)
    ]
    for column, limit in MAX_LENGTHS.items():
        if len(get(column)) > limit:
            errors.append(
                RowError(number, column, f"This is {len(get(column))} characters long; the most allowed is {limit}.")
            )
    return errors


def _check_codes(number: int, get: Getter, reference: Reference) -> list[RowError]:
    errors = []
    unit = get("unit_code")
    if unit and reference.unit_code(unit) is None:
        errors.append(
            RowError(
                number,
                "unit_code",
                f"There is no unit with code '{unit}' in {reference.force_name}. "
                "Check the code, or ask for the unit to be set up first.",
            )
        )
    bcu = get("bcu_code")
    if bcu and bcu.upper() not in reference.bcu_codes:
        known = ", ".join(sorted(reference.bcu_codes)) or "none: leave it empty"
        errors.append(RowError(number, "bcu_code", f"There is no BCU with code '{bcu}'. Use one of: {known}."))
    return errors


def parse_date(text: str) -> dt.date | None:
    """A date written YYYY-MM-DD (or DD/MM/YYYY, as Excel may re-save it), or None."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def parse_skills(number: int, text: str, known: frozenset[str]) -> tuple[list[SkillEntry], list[RowError]]:
    """The ``skills`` cell: ``CODE:start:end;CODE:start:`` (an empty end means no expiry)."""
    entries: list[SkillEntry] = []
    errors: list[RowError] = []
    seen: set[tuple[str, dt.date]] = set()

    def problem(message: str) -> None:
        errors.append(RowError(number, "skills", message))

    for raw in (part.strip() for part in text.split(";")):
        if not raw:
            continue
        parts = [part.strip() for part in raw.split(":")]
        code = parts[0].upper()
        if len(parts) not in (2, 3) or not parts[1]:
            problem(f"'{raw}' needs a start date. {SKILLS_HELP}")
            continue
        if code not in known:
            problem(f"'{parts[0]}' is not a skill code. Use one of: {', '.join(sorted(known))}.")
            continue
        start = parse_date(parts[1])
        end_text = parts[2] if len(parts) == 3 else ""
        end = parse_date(end_text) if end_text else None
        if start is None or (end_text and end is None):
            bad = parts[1] if start is None else end_text
            problem(f"'{bad}' in '{raw}' is not a date. {DATE_HELP}")
            continue
        if end is not None and end < start:
            problem(f"{code} ends on {end.isoformat()}, before it starts on {start.isoformat()}. Check the dates.")
            continue
        if (code, start) in seen:
            problem(f"{code} starting {start.isoformat()} is listed twice. Keep one.")
            continue
        seen.add((code, start))
        entries.append(SkillEntry(code=code, valid_from=start, valid_until=end))
    return entries, errors


def _check_across_rows(rows: list[WorkforceRow], reference: Reference) -> list[RowError]:
    identified = [row for row in rows if row.staff_number]  # a missing one is already reported
    return _duplicates(identified, reference) + _line_manager_problems(identified, reference)


def _duplicates(rows: list[WorkforceRow], reference: Reference) -> list[RowError]:
    errors = []
    first_row_of: dict[str, int] = {}
    warrant_row: dict[str, int] = {}
    in_file = {row.staff_number for row in rows}
    for row in rows:
        if row.staff_number in first_row_of:
            errors.append(
                RowError(
                    row.row,
                    "staff_number",
                    f"Staff number {row.staff_number} is also on row {first_row_of[row.staff_number]}. "
                    "Each person must appear once: remove or merge the duplicate rows.",
                )
            )
        else:
            first_row_of[row.staff_number] = row.row
        warrant = row.warrant_number
        if not warrant:
            continue
        if warrant in warrant_row:
            errors.append(
                RowError(
                    row.row,
                    "warrant_number",
                    f"Warrant number {warrant} is also on row {warrant_row[warrant]}. Check both warrant numbers.",
                )
            )
        else:
            warrant_row[warrant] = row.row
        holder = reference.warrant_holders.get(warrant)
        if holder and holder != row.staff_number and holder not in in_file:
            errors.append(
                RowError(
                    row.row,
                    "warrant_number",
                    f"Warrant number {warrant} already belongs to staff number {holder}. Check the warrant number.",
                )
            )
    return errors


def _line_manager_problems(rows: list[WorkforceRow], reference: Reference) -> list[RowError]:
    manager_of = dict(reference.line_managers)
    # A repeated staff number is reported as a duplicate; its later rows would only add false loops.
    first_rows: list[WorkforceRow] = []
    seen: set[str] = set()
    for row in rows:
        if row.staff_number not in seen:
            seen.add(row.staff_number)
            first_rows.append(row)
    manager_of.update({row.staff_number: row.line_manager_staff_number for row in first_rows})
    errors = []
    for row in first_rows:
        manager = row.line_manager_staff_number
        if not manager:
            continue
        if manager == row.staff_number:
            message = "A person cannot be their own line manager. Correct the staff number or leave it empty."
        elif manager not in manager_of:
            message = (
                f"Line manager {manager} is not in this file or in the workforce record. "
                "Add them to the file, or correct the staff number."
            )
        else:
            loop = _management_loop(row.staff_number, manager_of)
            if not loop:
                continue
            message = f"The line management chain loops: {' → '.join(loop)}. Correct one of these line managers."
        errors.append(RowError(row.row, "line_manager_staff_number", message))
    return errors


def _management_loop(staff_number: str, manager_of: dict[str, str]) -> list[str]:
    """The chain from ``staff_number`` back to itself, if following line managers returns there."""
    chain = [staff_number]
    seen = {staff_number}
    current = manager_of.get(staff_number, "")
    while current:
        chain.append(current)
        if current == staff_number:
            return chain
        if current in seen:
            return []  # a loop further up, reported on its own rows
        seen.add(current)
        current = manager_of.get(current, "")
    return []
