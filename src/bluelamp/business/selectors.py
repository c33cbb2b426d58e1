"""Reads of the workforce record. Everything an actor asks for goes through
``bluelamp.core.access.scoped``: 403 without the permission, another force's records simply
absent (404). The two helpers without an actor (``authorisations_current_at``,
``is_authorised``) are for other systems' services, which scope their own reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from bluelamp.business.charging import (
    ChargingResult,
    Contribution,
    Formula,
    calculate_contributions,
    formula_for,
    year_start,
)
from bluelamp.business.models import (
    Authorisation,
    ForceMetrics,
    Person,
    PlatformCost,
    PlatformMembership,
    Skill,
    Unit,
)
from bluelamp.core import audit, consultations
from bluelamp.core.access import Actor, get_scoped, require, scoped
from bluelamp.core.errors import InvalidInput, NotFound
from bluelamp.core.models import Bcu, Force, with_related

VIEW_PERSON = "business.view_person"
# A list of people (a search page, the expiring authorisations, a crew) is recorded as one
# consultation naming everyone on it; one person's whole record is "business.person" and needs
# a justification (DPA 2018 s.62, core/consultations.py).
PEOPLE_LISTED = "business.people"
VIEW_AUTHORISATION = "business.view_authorisation"
# How far ahead an expiry is shown in red, so that renewals are booked in time.
EXPIRY_WARNING = dt.timedelta(days=30)


def record_people_shown(*, actor: Actor, people: Iterable[Any], via: str) -> None:
    """One consultation naming every person (or person id) on a page or in an answer."""
    consultations.record_shown(actor=actor, record_type=PEOPLE_LISTED, shown=people, via=via)


def as_day(at: dt.date | dt.datetime) -> dt.date:
    """The day (in the platform's time zone) that ``at`` falls on: authorisations run by day."""
    if isinstance(at, dt.datetime):
        return timezone.localdate(at) if timezone.is_aware(at) else at.date()
    return at


def current_on(day: dt.date, *, prefix: str = "") -> Q:
    """Authorisations in force on ``day``: started on or before it, and ending on or after it
    (or never). ``prefix`` reaches them from another model, e.g. ``"authorisations__"``."""
    return Q(**{f"{prefix}valid_from__lte": day}) & (
        Q(**{f"{prefix}valid_until__isnull": True}) | Q(**{f"{prefix}valid_until__gte": day})
    )


def authorisations_current_at(skill_code: str, at: dt.date | dt.datetime) -> QuerySet[Authorisation]:
    """Every force's authorisations for ``skill_code`` in force at ``at``. Not scoped: callers
    are services that have already decided what the actor may see."""
    return Authorisation.objects.filter(current_on(as_day(at)), skill__code=skill_code)


def is_authorised(*, person: Person, skill_code: str, at: dt.date | dt.datetime) -> bool:
    return authorisations_current_at(skill_code, at).filter(person=person).exists()


def _known_skill(skill_code: str) -> str:
    code = skill_code.strip().upper()
    if not Skill.objects.filter(code=code).exists():
        known = ", ".join(Skill.objects.values_list("code", flat=True))
        raise InvalidInput(f"{skill_code!r} is not a skill code. Use one of: {known}.")
    return code


def authorised_people(*, actor: Actor, skill_code: str, at: dt.date | dt.datetime) -> QuerySet[Person]:
    """Active people of the actor's force authorised for ``skill_code`` at ``at``: who can be
    sent. Needs ``view_authorisation`` (dispatchers have it), not the whole person record."""
    code = _known_skill(skill_code)
    people = scoped(Person.objects.filter(active=True), actor, permission=VIEW_AUTHORISATION)
    holders = authorisations_current_at(code, at).values("person_id")
    return people.filter(pk__in=holders).select_related("unit", "bcu")


def people(
    *,
    actor: Actor,
    search: str = "",
    unit_id: int | None = None,
    bcu_id: int | None = None,
    skill_code: str = "",
    authorised_at: dt.date | dt.datetime | None = None,
) -> QuerySet[Person]:
    """The people the actor may see, narrowed by a search (name, staff or warrant number) and
    filters. A skill filter means "holds it on ``authorised_at``" (default: today)."""
    found = with_related(scoped(Person.objects.all(), actor, permission=VIEW_PERSON), "unit", "bcu", "force")
    for term in search.split():
        found = found.filter(
            Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(staff_number__iexact=term)
            | Q(warrant_number__iexact=term)
        )
    if unit_id is not None:
        found = found.filter(unit_id=unit_id)
    if bcu_id is not None:
        found = found.filter(bcu_id=bcu_id)
    if skill_code:
        day = as_day(authorised_at) if authorised_at is not None else timezone.localdate()
        holders = authorisations_current_at(_known_skill(skill_code), day).values("person_id")
        found = found.filter(pk__in=holders)
    return found


def check_person(*, actor: Actor, person_id: int) -> None:
    """Raise 403 or 404 unless the actor may see this person, without reading the record (the
    page asks for a justification first)."""
    if not scoped(Person.objects.all(), actor, permission=VIEW_PERSON).filter(pk=person_id).exists():
        raise NotFound("No person matches that reference.")


def consult_person(
    *, actor: Actor, person_id: int, justification: str, details: dict[str, Any] | None = None
) -> Person:
    """One person's record, logged as a consultation with its justification (DPA 2018 s.62).
    Reading and logging are one step here so that no path reads a record without the log;
    a blank justification is refused by the audit trail before anything is returned."""
    person = get_scoped(
        with_related(Person.objects.all(), "force", "unit", "bcu", "post", "line_manager"),
        actor,
        permission=VIEW_PERSON,
        pk=person_id,
    )
    audit.record(
        operation=audit.Operation.CONSULTATION,
        actor=actor,
        record_type="business.person",
        record_ids=[person.pk],
        force=person.force,
        justification=justification,
        details=details,
    )
    return person


@dataclass(frozen=True)
class ExpiryStatus:
    """How an authorisation stands on a day, as a GOV.UK tag."""

    label: str
    colour: str  # govuk-tag--<colour>
    warning: bool


def expiry_status(authorisation: Authorisation, today: dt.date, within: dt.timedelta = EXPIRY_WARNING) -> ExpiryStatus:
    if authorisation.valid_from > today:
        return ExpiryStatus(f"Starts {authorisation.valid_from:%-d %B %Y}", "grey", warning=False)
    until = authorisation.valid_until
    if until is None:
        return ExpiryStatus("Current", "green", warning=False)
    days = (until - today).days
    if days < 0:
        return ExpiryStatus("Expired", "red", warning=True)
    if days <= within.days:
        return ExpiryStatus(_expires_in(days), "red", warning=True)
    return ExpiryStatus("Current", "green", warning=False)


def _expires_in(days: int) -> str:
    if days == 0:
        return "Expires today"
    return f"Expires in {days} day{'s' if days != 1 else ''}"


@dataclass(frozen=True)
class AuthorisationLine:
    authorisation: Authorisation
    status: ExpiryStatus


def authorisation_lines(person: Person, today: dt.date | None = None) -> list[AuthorisationLine]:
    """The person's authorisations with their status: for a record already consulted."""
    day = today or timezone.localdate()
    held = person.authorisations.select_related("skill").order_by("skill__name", "-valid_from")
    return [AuthorisationLine(authorisation, expiry_status(authorisation, day)) for authorisation in held]


def held_on(day: dt.date, *, lookup: str = "authorisations", to_attr: str = "held") -> Prefetch[Any]:
    """For lists of many people: prefetch each person's authorisations in force on ``day``, with
    their skill, as ``person.<to_attr>`` (``lookup`` reaches the person's authorisations from
    the listed model, e.g. ``person__authorisations`` from a crew member)."""
    in_force = Authorisation.objects.filter(valid_from__lte=day).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=day)
    )
    return Prefetch(lookup, queryset=in_force.select_related("skill").order_by("skill__name"), to_attr=to_attr)


def expiring_soon(
    *, actor: Actor, within: dt.timedelta = EXPIRY_WARNING, today: dt.date | None = None
) -> QuerySet[Authorisation]:
    """Authorisations of active people that end between today and ``within`` from now."""
    day = today or timezone.localdate()
    found = scoped(
        Authorisation.objects.filter(person__active=True, valid_until__gte=day, valid_until__lte=day + within),
        actor,
        permission=VIEW_AUTHORISATION,
        force_field="person__force",
    )
    return found.select_related("person", "person__unit", "skill").order_by("valid_until", "person__last_name")


def skills() -> QuerySet[Skill]:
    """Reference data every user may see."""
    return Skill.objects.all()


def units(*, actor: Actor, permission: str = "business.view_unit") -> QuerySet[Unit]:
    return scoped(Unit.objects.all(), actor, permission=permission).select_related("bcu")


def bcus(*, actor: Actor, permission: str = VIEW_PERSON) -> QuerySet[Bcu]:
    return scoped(Bcu.objects.all(), actor, permission=permission)


# Charging for the shared online platform (PCD 451) -----------------------------------------

MANAGE_CHARGING = "business.manage_charging"


@dataclass(frozen=True)
class ChargeLine:
    force: Force
    officers: int
    population: int
    figures_year: int | None  # the year the figures are from (None: no figures recorded)
    contribution: Contribution


@dataclass(frozen=True)
class ChargingYear:
    financial_year: int
    cost: PlatformCost | None
    formula: Formula | None
    result: ChargingResult | None
    lines: list[ChargeLine]
    problem: str = ""

    @property
    def label(self) -> str:
        return f"{self.financial_year}/{(self.financial_year + 1) % 100:02d}"


def members_on(day: dt.date) -> list[Force]:
    """Forces on the platform on ``day``."""
    active = PlatformMembership.objects.filter(joined_on__lte=day).filter(Q(left_on__isnull=True) | Q(left_on__gt=day))
    return list(Force.objects.filter(pk__in=active.values("force_id")).order_by("name"))


def _latest_metrics(forces: list[Force], financial_year: int) -> dict[int, ForceMetrics]:
    latest: dict[int, ForceMetrics] = {}
    rows = ForceMetrics.objects.filter(force__in=forces, financial_year__lte=financial_year).order_by("financial_year")
    for row in rows:
        latest[row.force_id] = row  # later years overwrite earlier ones
    return latest


def charging_year(actor: Actor, *, financial_year: int) -> ChargingYear:
    """Every charged force's contribution for the year, from the members on 1 April, their latest
    figures, the recorded platform cost and the formula in force. National: no force scoping, but
    only holders of ``business.manage_charging`` (national administrators) may see it."""
    require(actor, MANAGE_CHARGING)
    cost = PlatformCost.objects.filter(financial_year=financial_year).first()
    formula = formula_for(financial_year)
    forces = members_on(year_start(financial_year))
    if formula is None:
        return ChargingYear(financial_year, cost, None, None, [], "No charging formula is in force for this year.")
    if cost is None:
        return ChargingYear(financial_year, None, formula, None, [], "No platform cost is recorded for this year.")
    metrics = _latest_metrics(forces, financial_year)
    figures = [
        formula.figures(
            force.code,
            officers=metrics[force.pk].officers if force.pk in metrics else 0,
            population=metrics[force.pk].population if force.pk in metrics else 0,
        )
        for force in forces
    ]
    result = calculate_contributions(total=cost.amount, forces=figures, shares=formula.shares)
    paid = result.by_code()
    lines = [
        ChargeLine(
            force=force,
            officers=figure.officers,
            population=figure.population,
            figures_year=metrics[force.pk].financial_year if force.pk in metrics else None,
            contribution=paid[force.code],
        )
        for force, figure in zip(forces, figures, strict=True)
    ]
    return ChargingYear(financial_year, cost, formula, result, lines)


def charge_for_force(actor: Actor, *, financial_year: int, force_code: str) -> tuple[ChargingYear, ChargeLine]:
    """One force's line of the year's charges (for its statement); NotFound if it is not charged."""
    year = charging_year(actor, financial_year=financial_year)
    for line in year.lines:
        if line.force.code == force_code:
            return year, line
    raise NotFound(f"No force with code {force_code!r} is charged for {year.label}.")


def skills_held(person_ids: Iterable[int], day: dt.date) -> list[tuple[int, str]]:
    """(person id, skill code) for each authorisation these people hold on ``day`` (for the
    dispatch engine's index of what each crew can do, which is kept by force, not by actor)."""
    people = list(person_ids)
    held: list[tuple[int, str]] = []
    for start in range(0, len(people), 5000):  # SQLite limits the parameters of one query
        current = Authorisation.objects.filter(current_on(day), person_id__in=people[start : start + 5000])
        held.extend(current.values_list("person_id", "skill__code"))
    return held
