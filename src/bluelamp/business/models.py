"""The workforce record: units and teams, posts, people, skills and their authorisations.

Tables and invariants only. Writes live in ``services.py``, reads in ``selectors.py``."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Unit(models.Model):
    """A unit, team or department of a force (a response team, a borough's dog unit…)."""

    class Kind(models.TextChoices):
        TEAM = "team", "Team"
        UNIT = "unit", "Unit"
        DEPARTMENT = "department", "Department"

    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="units")
    code = models.CharField(max_length=32, help_text="The code the HR system uses, e.g. 'CW-ERT-A'.")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.UNIT)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    bcu = models.ForeignKey("core.Bcu", on_delete=models.PROTECT, null=True, blank=True, related_name="units")

    class Meta:
        ordering = ["force", "name"]
        constraints = [models.UniqueConstraint(fields=["force", "code"], name="unit_code_unique_in_force")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Post(models.Model):
    """A position in the establishment, identified by its post number; a person may hold one."""

    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="posts")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="posts")
    title = models.CharField(max_length=120)
    number = models.CharField(max_length=32, help_text="The post number in the HR system.")

    class Meta:
        ordering = ["force", "number"]
        constraints = [models.UniqueConstraint(fields=["force", "number"], name="post_number_unique_in_force")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class Person(models.Model):
    """A police officer or member of staff in a force's workforce record."""

    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="people")
    staff_number = models.CharField(max_length=20)
    # Blank for staff without a warrant; unique within the force only when given.
    warrant_number = models.CharField(max_length=20, blank=True)
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    rank_or_grade = models.CharField(max_length=60)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="people")
    bcu = models.ForeignKey("core.Bcu", on_delete=models.PROTECT, null=True, blank=True, related_name="people")
    line_manager = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="direct_reports"
    )
    post = models.ForeignKey(Post, on_delete=models.SET_NULL, null=True, blank=True, related_name="holders")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="person"
    )
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "staff_number"]
        verbose_name_plural = "people"
        permissions = [("import_workforce", "Import the workforce record from the HR system's CSV extract")]
        constraints = [
            models.UniqueConstraint(fields=["force", "staff_number"], name="person_staff_number_unique_in_force"),
            models.UniqueConstraint(
                fields=["force", "warrant_number"],
                condition=~Q(warrant_number=""),
                name="person_warrant_number_unique_in_force",
            ),
            models.CheckConstraint(condition=~Q(line_manager=F("pk")), name="person_not_own_line_manager"),
        ]
        indexes = [models.Index(fields=["force", "last_name", "first_name"])]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.staff_number})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def is_authorised(self, skill_code: str, at: dt.date | dt.datetime) -> bool:
        """Whether this person holds ``skill_code`` at ``at`` (see ``selectors.is_authorised``)."""
        from bluelamp.business import selectors  # the query lives with the other reads

        return selectors.is_authorised(person=self, skill_code=skill_code, at=at)


class Skill(models.Model):
    """A skill or authorisation a person can hold (response driver, AFO, Taser…). The list is
    data: ``data/skills.json``, loaded by a migration and by ``services.load_skills``."""

    code = models.CharField(max_length=32, unique=True, help_text="Stable code, e.g. 'AFO'.")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Authorisation(models.Model):
    """A person holds a skill from ``valid_from`` to ``valid_until`` (both days included);
    no ``valid_until`` means it does not expire."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="authorisations")
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="authorisations")
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    reference = models.TextField(blank=True, help_text="Course, certificate or licence reference.")

    class Meta:
        ordering = ["skill__name", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="authorisation_ends_after_it_starts",
            ),
            # One record per person, skill and start: what lets a re-import update, not duplicate.
            models.UniqueConstraint(
                fields=["person", "skill", "valid_from"], name="authorisation_unique_per_person_skill_start"
            ),
        ]
        indexes = [models.Index(fields=["skill", "valid_from", "valid_until"])]

    def __str__(self) -> str:
        until = self.valid_until.isoformat() if self.valid_until else "no expiry"
        return f"{self.skill.code} {self.valid_from.isoformat()} to {until}"


# Charging for the shared online platform (PCD 451) -----------------------------------------


class PlatformCost(models.Model):
    """The online platform's running cost for a financial year (2026 = 1 April 2026 to 31 March
    2027), which the forces on it share (see charging.py and data/charging.json)."""

    financial_year = models.PositiveSmallIntegerField(unique=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-financial_year"]
        permissions = [("manage_charging", "Record platform costs and see every force's contribution")]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="platform_cost_not_negative")]

    def __str__(self) -> str:
        return f"{self.financial_year}/{(self.financial_year + 1) % 100:02d}: £{self.amount:,}"


class ForceMetrics(models.Model):
    """A force's officer numbers and the population it polices, for one financial year."""

    force = models.ForeignKey("core.Force", on_delete=models.CASCADE, related_name="+")
    financial_year = models.PositiveSmallIntegerField()
    officers = models.PositiveIntegerField()
    population = models.PositiveIntegerField()

    class Meta:
        ordering = ["financial_year", "force"]
        verbose_name_plural = "force metrics"
        constraints = [
            models.UniqueConstraint(fields=["force", "financial_year"], name="force_metrics_once_a_year"),
        ]

    def __str__(self) -> str:
        return f"{self.force} {self.financial_year}"


class PlatformMembership(models.Model):
    """A force on the shared platform from ``joined_on`` until ``left_on`` (if it has left).
    A force is charged for a financial year when it is a member on 1 April of that year."""

    force = models.ForeignKey("core.Force", on_delete=models.CASCADE, related_name="+")
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["force", "joined_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gt=F("joined_on")), name="membership_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.force} from {self.joined_on}"
