"""Writes to the workforce record. Each change is one function with keyword-only arguments that
checks the actor's permission and force, runs in one transaction, writes the audit entry
(DPA 2018 s.62: collection for new people, alteration for changes) and emits the event."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from django.db import IntegrityError, transaction
from django.utils import timezone

from bluelamp.business import workforce_csv
from bluelamp.business.models import (
    Authorisation,
    ForceMetrics,
    Person,
    PlatformCost,
    PlatformMembership,
    Post,
    Skill,
    Unit,
)
from bluelamp.business.workforce_csv import RowError, WorkforceImportRejected, WorkforceRow
from bluelamp.core import audit
from bluelamp.core.access import Actor, require
from bluelamp.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bluelamp.core.events import emit
from bluelamp.core.models import Bcu, Force, User

__all__ = ["ImportResult", "RowError", "WorkforceImportRejected"]

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
SKILLS_FILE = DATA_DIR / "skills.json"
PERSON = "business.person"  # the audit trail's record type for a person's record
MAX_IMPORT_BYTES = 25 * 1024 * 1024  # the Met's whole workforce is well under this


class Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def _own_force(actor: Actor, force: Force) -> None:
    """Writes only ever go to the actor's own force; another force's records are not there."""
    if actor.force_id != force.pk:
        raise NotFound("No such record in your force's workforce record.")


# Skills (reference data: not personal, so no audit entry) ------------------------------------


@transaction.atomic
def load_skills(*, skills_file: Path = SKILLS_FILE) -> int:
    """Create or update the skills listed in ``skills.json``; none is ever deleted."""
    try:
        specs = json.loads(Path(skills_file).read_text(encoding="utf-8"))["skills"]
    except (OSError, ValueError, KeyError) as error:
        raise InvalidInput(f"{skills_file} is not a skills file ({error}).") from None
    for spec in specs:
        Skill.objects.update_or_create(
            code=spec["code"], defaults={"name": spec["name"], "description": spec.get("description", "")}
        )
    emit("business.skills.loaded", codes=[spec["code"] for spec in specs])
    return len(specs)


# Units -----------------------------------------------------------------------------------


@transaction.atomic
def save_unit(
    *,
    actor: Actor,
    force: Force,
    code: str,
    name: str,
    kind: str = Unit.Kind.UNIT,
    parent: Unit | None = None,
    bcu: Bcu | None = None,
) -> Unit:
    """Create the unit with ``code`` in ``force``, or update it. Units hold no personal data,
    so there is no audit entry; the event tells other systems."""
    _own_force(actor, force)
    code = code.strip()
    existing = Unit.objects.filter(force=force, code=code).first()
    require(actor, "business.change_unit" if existing else "business.add_unit")
    if not code or not name.strip():
        raise InvalidInput("A unit needs a code and a name.")
    if kind not in Unit.Kind.values:
        raise InvalidInput(f"{kind!r} is not a kind of unit: use one of {', '.join(Unit.Kind.values)}.")
    if bcu is not None and bcu.force_id != force.pk:
        raise InvalidInput(f"BCU {bcu.code} belongs to another force.")
    _check_parent(force=force, unit=existing, parent=parent)
    unit = existing or Unit(force=force, code=code)
    unit.name, unit.kind, unit.parent, unit.bcu = name.strip(), kind, parent, bcu
    unit.save()
    emit("business.unit.saved", force=force, unit_id=unit.pk, code=unit.code, created=existing is None)
    return unit


def _check_parent(*, force: Force, unit: Unit | None, parent: Unit | None) -> None:
    if parent is None:
        return
    if parent.force_id != force.pk:
        raise InvalidInput(f"Unit {parent.code} belongs to another force.")
    ancestor: Unit | None = parent
    while ancestor is not None:
        if unit is not None and ancestor.pk == unit.pk:
            raise InvalidInput(f"Unit {unit.code} cannot sit inside itself: choose another parent.")
        ancestor = ancestor.parent


# People ----------------------------------------------------------------------------------

UPDATABLE_FIELDS = frozenset(
    {
        "warrant_number",
        "first_name",
        "last_name",
        "rank_or_grade",
        "unit",
        "bcu",
        "line_manager",
        "post",
        "user",
        "active",
    }
)


def _check_same_force(force_id: int, values: dict[str, Any]) -> None:
    for name in ("unit", "bcu", "line_manager", "post", "user"):
        related = values.get(name)
        if related is not None and related.force_id != force_id:
            raise InvalidInput(f"The {name.replace('_', ' ')} belongs to another force.")


def _save_person(person: Person) -> None:
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        raise Conflict(
            f"Another person in the force already has staff number {person.staff_number} "
            f"or warrant number {person.warrant_number}."
        ) from None


@transaction.atomic
def add_person(
    *,
    actor: Actor,
    force: Force,
    staff_number: str,
    first_name: str,
    last_name: str,
    rank_or_grade: str,
    **optional: Any,
) -> Person:
    """Add one person to the force's workforce record. ``optional`` takes any of
    :data:`UPDATABLE_FIELDS` (warrant number, unit, BCU, line manager, post, user, active)."""
    require(actor, "business.add_person")
    _own_force(actor, force)
    unknown = set(optional) - UPDATABLE_FIELDS
    if unknown:
        raise InvalidInput(f"Unknown person fields: {', '.join(sorted(unknown))}.")
    if not all(value.strip() for value in (staff_number, first_name, last_name, rank_or_grade)):
        raise InvalidInput("A person needs a staff number, first name, last name and rank or grade.")
    _check_same_force(force.pk, optional)
    if optional.get("bcu") is None and optional.get("unit") is not None:
        optional["bcu"] = optional["unit"].bcu  # as the import does: the unit's BCU by default
    person = Person(
        force=force,
        staff_number=staff_number.strip(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        rank_or_grade=rank_or_grade.strip(),
        **optional,
    )
    _save_person(person)
    audit.record(
        operation=audit.Operation.COLLECTION, actor=actor, record_type=PERSON, record_ids=[person.pk], force=force
    )
    emit("business.person.added", force=force, person_id=person.pk, staff_number=person.staff_number)
    return person


@transaction.atomic
def update_person(*, actor: Actor, person: Person, **changes: Any) -> Person:
    """Change some of :data:`UPDATABLE_FIELDS` of one person. The audit entry lists which
    fields changed, not their values (the trail must not become a second copy of the record)."""
    require(actor, "business.change_person")
    _own_force(actor, person.force)
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise InvalidInput(f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    _check_same_force(person.force_id, changes)
    if changes.get("line_manager") is not None and changes["line_manager"].pk == person.pk:
        raise InvalidInput("A person cannot be their own line manager.")
    changed = sorted(name for name, value in changes.items() if getattr(person, name) != value)
    if not changed:
        return person
    for name in changed:
        setattr(person, name, changes[name])
    _save_person(person)
    audit.record(
        operation=audit.Operation.ALTERATION,
        actor=actor,
        record_type=PERSON,
        record_ids=[person.pk],
        force=person.force,
        details={"fields": changed},
    )
    emit("business.person.updated", force=person.force, person_id=person.pk, fields=changed)
    return person


@transaction.atomic
def grant_authorisation(
    *,
    actor: Actor,
    person: Person,
    skill_code: str,
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    reference: str = "",
) -> Authorisation:
    """Record that ``person`` holds a skill from ``valid_from`` to ``valid_until`` (both days
    included; None = no expiry). The same skill and start again corrects that record."""
    require(actor, "business.add_authorisation")
    _own_force(actor, person.force)
    skill = Skill.objects.filter(code=skill_code).first()
    if skill is None:
        raise InvalidInput(f"{skill_code!r} is not a skill code.")
    if valid_until is not None and valid_until < valid_from:
        raise InvalidInput("An authorisation cannot end before it starts: check the dates.")
    authorisation, created = Authorisation.objects.update_or_create(
        person=person,
        skill=skill,
        valid_from=valid_from,
        defaults={"valid_until": valid_until, "reference": reference.strip()},
    )
    details: dict[str, Any] = {"skill": skill.code, "valid_from": valid_from.isoformat(), "created": created}
    audit.record(
        operation=audit.Operation.ALTERATION,
        actor=actor,
        record_type=PERSON,
        record_ids=[person.pk],
        force=person.force,
        details=details,
    )
    emit("business.authorisation.granted", force=person.force, person_id=person.pk, **details)
    return authorisation


# The HR system's CSV extract ---------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    rows: int
    created: int
    updated: int
    unchanged: int
    posts_created: int
    authorisations_added: int
    authorisations_changed: int
    authorisations_ended: int


def import_workforce_csv(*, actor: Actor, force: Force, file: Readable | bytes, file_name: str = "") -> ImportResult:
    """Bring the force's workforce record in line with the HR system's extract.

    Every row is checked first; if any is wrong, :class:`WorkforceImportRejected` lists every
    problem and nothing is written. People are matched on staff number within ``force``, so
    importing the same file again changes nothing. An authorisation that a person in the file
    held but the file no longer lists is ended yesterday (or removed, if it had not started):
    the HR system is the source of truth for who may be deployed to what."""
    require(actor, "business.import_workforce")
    if actor.force_id != force.pk:
        raise PermissionDenied("You can only import into your own force's workforce record.")
    data = _read_limited(file)
    with transaction.atomic():
        rows = workforce_csv.parse(data, _reference(force))
        try:
            with transaction.atomic():
                result, created_ids, changed_ids = _WorkforceWriter(force, rows).write()
        except IntegrityError:
            logger.warning("workforce import for %s hit a conflict", force.code, exc_info=True)
            raise Conflict("The workforce record changed while importing. Upload the file again.") from None
        details = {"source": "workforce CSV import", "file": file_name, "rows": result.rows}
        if created_ids:
            audit.record(
                operation=audit.Operation.COLLECTION,
                actor=actor,
                record_type=PERSON,
                record_ids=created_ids,
                force=force,
                details=details,
            )
        if changed_ids:
            audit.record(
                operation=audit.Operation.ALTERATION,
                actor=actor,
                record_type=PERSON,
                record_ids=changed_ids,
                force=force,
                details=details,
            )
        emit(
            "business.workforce.imported",
            force=force,
            file=file_name,
            person_ids=[*created_ids, *changed_ids],
            **asdict(result),
        )
    logger.info("workforce import for %s: %s", force.code, result)
    return result


def _read_limited(file: Readable | bytes) -> bytes:
    data = file if isinstance(file, bytes) else file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        limit = MAX_IMPORT_BYTES // (1024 * 1024)
        raise WorkforceImportRejected([RowError(None, "", f"The file is larger than {limit} MB: split it.")])
    return data


def _reference(force: Force) -> workforce_csv.Reference:
    people = Person.objects.filter(force=force)
    return workforce_csv.Reference(
        force_name=force.name,
        unit_codes=frozenset(Unit.objects.filter(force=force).values_list("code", flat=True)),
        bcu_codes=frozenset(Bcu.objects.filter(force=force).values_list("code", flat=True)),
        skill_codes=frozenset(Skill.objects.values_list("code", flat=True)),
        line_managers={
            staff: manager or "" for staff, manager in people.values_list("staff_number", "line_manager__staff_number")
        },
        warrant_holders=dict(people.exclude(warrant_number="").values_list("warrant_number", "staff_number")),
    )


PERSON_FIELDS = ("warrant_number", "first_name", "last_name", "rank_or_grade", "unit_id", "bcu_id", "post_id")
BATCH = 500


class _WorkforceWriter:
    """Applies checked rows in a few bulk statements (the Met has tens of thousands of people).
    Whole-force queries rather than long ``IN (...)`` lists, which SQLite limits."""

    def __init__(self, force: Force, rows: list[WorkforceRow]) -> None:
        self.force = force
        self.rows = rows
        self.units = {unit.code: unit for unit in Unit.objects.filter(force=force)}
        self.bcus = {bcu.code: bcu for bcu in Bcu.objects.filter(force=force)}
        self.skills = {skill.code: skill for skill in Skill.objects.all()}
        self.people = {person.staff_number: person for person in Person.objects.filter(force=force)}
        self.posts = {post.number: post for post in Post.objects.filter(force=force)}
        self.created: set[int] = set()
        self.changed: set[int] = set()

    def write(self) -> tuple[ImportResult, list[int], list[int]]:
        posts_created = self._write_posts()
        self._write_people()
        self._write_line_managers()
        added, altered, ended = self._write_authorisations()
        self.changed -= self.created
        result = ImportResult(
            rows=len(self.rows),
            created=len(self.created),
            updated=len(self.changed),
            unchanged=len(self.rows) - len(self.created) - len(self.changed),
            posts_created=posts_created,
            authorisations_added=added,
            authorisations_changed=altered,
            authorisations_ended=ended,
        )
        return result, sorted(self.created), sorted(self.changed)

    def _write_posts(self) -> int:
        """Posts come from the extract: a post number not yet known is created in the row's unit."""
        new: dict[str, Post] = {}
        for row in self.rows:
            if row.post_number and row.post_number not in self.posts and row.post_number not in new:
                unit = self.units.get(row.unit_code)
                new[row.post_number] = Post(
                    force=self.force, number=row.post_number, unit=unit, title=row.rank_or_grade
                )
        if new:
            Post.objects.bulk_create(new.values(), batch_size=BATCH)
            self.posts = {post.number: post for post in Post.objects.filter(force=self.force)}
        return len(new)

    def _write_people(self) -> None:
        to_create: list[Person] = []
        to_update: list[Person] = []
        moving_warrants: list[int] = []
        for row in self.rows:
            person = self.people.get(row.staff_number) or Person(force=self.force, staff_number=row.staff_number)
            before = [getattr(person, name) for name in PERSON_FIELDS]
            self._fill(person, row)
            if person.pk is None:
                to_create.append(person)
            elif before != [getattr(person, name) for name in PERSON_FIELDS]:
                to_update.append(person)
                self.changed.add(person.pk)
                if before[0] != person.warrant_number:
                    moving_warrants.append(person.pk)
        # Blank the warrant numbers about to change first, so two people swapping them in one
        # file never collide on the uniqueness constraint half-way.
        for start in range(0, len(moving_warrants), BATCH):
            Person.objects.filter(pk__in=moving_warrants[start : start + BATCH]).update(warrant_number="")
        Person.objects.bulk_update(to_update, [name.removesuffix("_id") for name in PERSON_FIELDS], batch_size=BATCH)
        Person.objects.bulk_create(to_create, batch_size=BATCH)
        if to_create:
            new_numbers = {person.staff_number for person in to_create}
            for person in Person.objects.filter(force=self.force):
                if person.staff_number in new_numbers:
                    self.people[person.staff_number] = person
                    self.created.add(person.pk)

    def _fill(self, person: Person, row: WorkforceRow) -> None:
        unit = self.units.get(row.unit_code)
        person.warrant_number = row.warrant_number
        person.first_name, person.last_name, person.rank_or_grade = row.first_name, row.last_name, row.rank_or_grade
        person.unit = unit
        # A person's BCU defaults to their unit's when the extract leaves it empty.
        person.bcu = self.bcus.get(row.bcu_code) or (unit.bcu if unit else None)
        person.post = self.posts.get(row.post_number)

    def _write_line_managers(self) -> None:
        to_update = []
        for row in self.rows:
            person = self.people[row.staff_number]
            manager = self.people.get(row.line_manager_staff_number)
            manager_id = manager.pk if manager else None
            if person.line_manager_id != manager_id:
                person.line_manager_id = manager_id
                to_update.append(person)
                self.changed.add(person.pk)
        Person.objects.bulk_update(to_update, ["line_manager"], batch_size=BATCH)

    def _write_authorisations(self) -> tuple[int, int, int]:
        person_ids = {self.people[row.staff_number].pk for row in self.rows}
        held = {
            (a.person_id, a.skill.code, a.valid_from): a
            for a in Authorisation.objects.filter(person__force=self.force).select_related("skill")
            if a.person_id in person_ids
        }
        to_create, to_update = [], []
        listed = set()
        for row in self.rows:
            person = self.people[row.staff_number]
            for entry in row.skills:
                key = (person.pk, entry.code, entry.valid_from)
                listed.add(key)
                existing = held.get(key)
                if existing is None:
                    to_create.append(
                        Authorisation(
                            person=person,
                            skill=self.skills[entry.code],
                            valid_from=entry.valid_from,
                            valid_until=entry.valid_until,
                        )
                    )
                    self.changed.add(person.pk)
                elif existing.valid_until != entry.valid_until:
                    existing.valid_until = entry.valid_until
                    to_update.append(existing)
                    self.changed.add(person.pk)
        ended = self._end_unlisted([a for key, a in held.items() if key not in listed])
        Authorisation.objects.bulk_create(to_create, batch_size=BATCH)
        Authorisation.objects.bulk_update(to_update, ["valid_until"], batch_size=BATCH)
        return len(to_create), len(to_update), ended

    def _end_unlisted(self, authorisations: list[Authorisation]) -> int:
        """End (yesterday) what the extract no longer lists; remove what had not started."""
        yesterday = timezone.localdate() - dt.timedelta(days=1)
        to_end, to_remove = [], []
        for authorisation in authorisations:
            if authorisation.valid_from > yesterday:
                to_remove.append(authorisation.pk)
            elif authorisation.valid_until is None or authorisation.valid_until > yesterday:
                authorisation.valid_until = yesterday
                to_end.append(authorisation)
            else:
                continue  # already over: history, kept as it is
            self.changed.add(authorisation.person_id)
        for start in range(0, len(to_remove), BATCH):
            Authorisation.objects.filter(pk__in=to_remove[start : start + BATCH]).delete()
        Authorisation.objects.bulk_update(to_end, ["valid_until"], batch_size=BATCH)
        return len(to_end) + len(to_remove)


# Charging for the shared online platform (PCD 451) -----------------------------------------
# National figures, not personal data: each change emits an event; no audit entry is needed.

MANAGE_CHARGING = "business.manage_charging"


def _check_year(financial_year: int) -> None:
    if not 2000 <= financial_year <= 2100:
        raise InvalidInput("Enter a financial year between 2000 and 2100, e.g. 2026 for 2026/27.")


@transaction.atomic
def record_platform_cost(*, actor: Actor, financial_year: int, amount: Decimal) -> PlatformCost:
    """Set the platform's running cost for a financial year (replacing any earlier figure)."""
    require(actor, MANAGE_CHARGING)
    _check_year(financial_year)
    if amount < 0:
        raise InvalidInput("The platform cost cannot be negative.")
    cost, created = PlatformCost.objects.update_or_create(
        financial_year=financial_year,
        defaults={"amount": amount, "recorded_by": actor if isinstance(actor, User) else None},
    )
    emit("business.charging.cost_recorded", financial_year=financial_year, amount=str(amount), created=created)
    return cost


@transaction.atomic
def record_force_metrics(
    *, actor: Actor, force: Force, financial_year: int, officers: int, population: int
) -> ForceMetrics:
    """A force's officer numbers and population for a year, as the charging formula uses them."""
    require(actor, MANAGE_CHARGING)
    _check_year(financial_year)
    if officers < 0 or population < 0:
        raise InvalidInput("Officer numbers and population cannot be negative.")
    metrics, _ = ForceMetrics.objects.update_or_create(
        force=force, financial_year=financial_year, defaults={"officers": officers, "population": population}
    )
    emit(
        "business.charging.metrics_recorded",
        force=force,
        financial_year=financial_year,
        officers=officers,
        population=population,
    )
    return metrics


@transaction.atomic
def join_platform(*, actor: Actor, force: Force, joined_on: dt.date) -> PlatformMembership:
    """A force joins the shared platform (and shares its cost from the next 1 April on which it
    is a member)."""
    require(actor, MANAGE_CHARGING)
    open_membership = PlatformMembership.objects.filter(force=force, left_on__isnull=True).first()
    if open_membership is not None:
        raise Conflict(f"{force.name} is already on the platform (since {open_membership.joined_on:%-d %B %Y}).")
    if PlatformMembership.objects.filter(force=force, left_on__gt=joined_on).exists():
        raise Conflict(f"{force.name} was still on the platform on {joined_on:%-d %B %Y}.")
    membership = PlatformMembership.objects.create(force=force, joined_on=joined_on)
    emit("business.charging.force_joined", force=force, joined_on=joined_on.isoformat())
    return membership


@transaction.atomic
def leave_platform(*, actor: Actor, force: Force, left_on: dt.date) -> PlatformMembership:
    """A force leaves the shared platform; it is not charged for years starting after it left."""
    require(actor, MANAGE_CHARGING)
    membership = PlatformMembership.objects.select_for_update().filter(force=force, left_on__isnull=True).first()
    if membership is None:
        raise NotFound(f"{force.name} is not on the platform.")
    if left_on <= membership.joined_on:
        raise InvalidInput(f"{force.name} joined on {membership.joined_on:%-d %B %Y}: it must leave after that.")
    membership.left_on = left_on
    membership.save(update_fields=["left_on"])
    emit("business.charging.force_left", force=force, left_on=left_on.isoformat())
    return membership
