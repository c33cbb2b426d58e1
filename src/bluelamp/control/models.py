"""Command and Control: contacts from every channel, incidents with their CAD reference, grade
targets, THRIVE assessments and the tamper-evident incident log.

Tables and invariants only. Writes live in each domain's services, reads in its selectors."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q


class Grade(models.TextChoices):
    IMMEDIATE = "I", "Immediate"
    SIGNIFICANT = "S", "Significant"
    EXTENDED = "E", "Extended"
    REFERRED = "R", "Referred"


class Location(models.Model):
    """Where something is: the address as given and, when a point is known, its borough, BCU
    and h3 cell (worked out from the point, never typed)."""

    address = models.CharField(max_length=300, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    borough = models.ForeignKey("core.Borough", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    bcu = models.ForeignKey("core.Bcu", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    h3_cell = models.CharField(max_length=16, blank=True, db_index=True)

    class Meta:
        abstract = True


class Contact(Location):
    """One contact with the police, whatever the channel: a call, an online report, an ANPR hit
    or an alarm. It is resolved, linked to an incident, or becomes one."""

    class Channel(models.TextChoices):
        EMERGENCY = "999", "999 call"
        NON_EMERGENCY = "101", "101 call"
        ONLINE = "online", "Online report"
        ANPR = "anpr", "ANPR hit"
        ALARM = "alarm", "Alarm"

    class Outcome(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved without an incident"
        LINKED = "linked", "Linked to an incident"
        INCIDENT = "incident", "Became an incident"

    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    received_at = models.DateTimeField(db_index=True)
    received_by = models.CharField(max_length=150, help_text="Who took it (user or API client).")
    caller_name = models.CharField(max_length=150, blank=True)
    caller_phone = models.CharField(max_length=40, blank=True)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=60, blank=True, help_text="NSIR category code (data/nsir.json).")
    qualifiers = models.JSONField(default=list, blank=True)
    details = models.JSONField(default=dict, blank=True, help_text="Everything the channel sent, as sent.")
    source_reference = models.CharField(
        max_length=80, blank=True, help_text="The sender's own reference: a repeated delivery finds the same contact."
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OPEN)
    resolution_code = models.CharField(max_length=40, blank=True)
    resolution_note = models.TextField(blank=True)
    incident = models.ForeignKey("Incident", on_delete=models.PROTECT, null=True, blank=True, related_name="contacts")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["force", "channel", "source_reference"],
                condition=~Q(source_reference=""),
                name="contact_source_reference_unique_per_channel",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["linked", "incident"], incident__isnull=False)
                | (~Q(outcome__in=["linked", "incident"]) & Q(incident__isnull=True)),
                name="contact_incident_matches_outcome",
            ),
        ]
        indexes = [models.Index(fields=["force", "outcome", "received_at"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} contact #{self.pk}"


class CadCounter(models.Model):
    """The last CAD number given out in a force on a day. Writers lock the row, so two incidents
    created at the same moment never get the same number."""

    force = models.ForeignKey("core.Force", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["force", "day"], name="cad_counter_unique_per_force_day")]

    def __str__(self) -> str:
        return f"{self.force_id} {self.day}: {self.last_number}"


class Incident(Location):
    """Something the police must deal with, known by its CAD reference (``CAD 4711/22NOV26``)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        RESOURCED = "resourced", "Resourced"
        AT_SCENE = "at_scene", "At scene"
        CLOSED = "closed", "Closed"

    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="+")
    cad_day = models.DateField(help_text="The day (Europe/London) the CAD number belongs to.")
    # Given when the incident is made, from the force's counter for the day (control.incidents.numbering).
    cad_number = models.PositiveIntegerField()
    created_at = models.DateTimeField(db_index=True)
    description = models.TextField(blank=True)
    opening_category = models.CharField(max_length=60)
    opening_qualifiers = models.JSONField(default=list, blank=True)
    details = models.JSONField(default=dict, blank=True)
    grade = models.CharField(max_length=1, choices=Grade.choices, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    resourced_at = models.DateTimeField(null=True, blank=True)
    first_arrived_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_category = models.CharField(max_length=60, blank=True)
    closing_qualifiers = models.JSONField(default=list, blank=True)
    closing_result = models.TextField(blank=True)
    # Optimistic concurrency: each change names the version it was made on.
    version = models.PositiveIntegerField(default=1)
    # The head of this incident's log chain, so removing the newest entries is noticed.
    log_length = models.PositiveIntegerField(default=0)
    last_log_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("grade_incident", "Assess (THRIVE) and grade incidents"),
            ("close_incident", "Close and reopen incidents"),
            ("view_command", "See the command view (Silver): every BCU's incidents, resources and targets"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["force", "cad_day", "cad_number"], name="incident_cad_unique_per_day"),
        ]
        indexes = [
            models.Index(fields=["force", "status", "created_at"]),
            models.Index(fields=["force", "cad_day"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"CAD {self.cad_number}/{self.cad_day:%d%b%y}".upper()


class GradeTarget(models.Model):
    """How soon a grade must be attended, from a date on. A new target is a new row with a later
    ``effective_from``; an incident is measured against the target in force when it was created."""

    grade = models.CharField(max_length=1, choices=Grade.choices)
    attend_within_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: no attendance target (by appointment, or no attendance)."
    )
    aim_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    effective_from = models.DateField()

    class Meta:
        ordering = ["grade", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["grade", "effective_from"], name="grade_target_unique_per_start"),
        ]

    def __str__(self) -> str:
        within = f"{self.attend_within_minutes} min" if self.attend_within_minutes else "no target"
        return f"{self.grade}: {within} from {self.effective_from}"


class Level(models.TextChoices):
    NONE = "none", "None"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


THRIVE_DIMENSIONS = ("threat", "harm", "risk", "investigation", "vulnerability", "engagement")


class AppendOnlyQuerySet(models.QuerySet[Any]):
    """Bulk changes would bypass the models' refusal; refuse them too (PostgreSQL's trigger is
    the last line for the log, ``verify-logs`` finds anything done behind both)."""

    def update(self, **kwargs: Any) -> int:
        raise ValueError(f"{self.model._meta.verbose_name_plural} are append-only: add a new one instead.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValueError(f"{self.model._meta.verbose_name_plural} are append-only and are never deleted.")


class AppendOnly(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError(f"{self._meta.verbose_name_plural} are append-only: add a new one instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError(f"{self._meta.verbose_name_plural} are append-only and are never deleted.")


class ThriveAssessment(AppendOnly):
    """One version of an incident's THRIVE assessment and the grade chosen with it. A
    re-assessment or re-grade is a new version; earlier ones are kept as they were."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="assessments")
    number = models.PositiveIntegerField(help_text="1 for the first assessment, then 2, 3…")
    at = models.DateTimeField()
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assessed_by_label = models.CharField(max_length=150)
    threat = models.CharField(max_length=6, choices=Level.choices)
    threat_note = models.TextField(blank=True)
    harm = models.CharField(max_length=6, choices=Level.choices)
    harm_note = models.TextField(blank=True)
    risk = models.CharField(max_length=6, choices=Level.choices)
    risk_note = models.TextField(blank=True)
    investigation = models.CharField(max_length=6, choices=Level.choices)
    investigation_note = models.TextField(blank=True)
    vulnerability = models.CharField(max_length=6, choices=Level.choices)
    vulnerability_note = models.TextField(blank=True)
    engagement = models.CharField(max_length=6, choices=Level.choices)
    engagement_note = models.TextField(blank=True)
    suggested_grade = models.CharField(max_length=1, choices=Grade.choices)
    suggestion_reason = models.CharField(max_length=200, blank=True)
    grade = models.CharField(max_length=1, choices=Grade.choices)
    override_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["incident", "number"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "number"], name="thrive_version_unique_per_incident"),
            models.CheckConstraint(
                condition=Q(grade=models.F("suggested_grade")) | ~Q(override_reason=""),
                name="thrive_override_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"THRIVE v{self.number} of incident {self.incident_id}: {self.grade}"


class IncidentLogEntry(AppendOnly):
    """One line of an incident's log. Append-only and hash-chained per incident: ``entry_hash``
    covers this entry's fields and the previous entry's hash (``bluelamp verify-logs``).
    A mistake is put right by a ``correction`` entry that names the entry it corrects."""

    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        GRADED = "graded", "Graded"
        ASSESSED = "assessed", "Assessed (THRIVE)"
        ASSIGNED = "assigned", "Assigned"
        ARRIVED = "arrived", "Arrived"
        UPDATED = "updated", "Updated"
        CLOSED = "closed", "Closed"
        REOPENED = "reopened", "Reopened"
        AUTOMATIC = "automatic", "Automatic"
        CORRECTION = "correction", "Correction"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="log")
    at = models.DateTimeField()
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    operator_label = models.CharField(max_length=150, help_text="Who, as shown at the time (user, client, system).")
    position = models.CharField(max_length=60, blank=True, help_text="Where they sat, e.g. 'CW dispatch 3'.")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    text = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections")
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)
    key_id = models.CharField(
        max_length=32, blank=True, default="", help_text="The audit key that sealed the hash ('' before keys)."
    )

    class Meta:
        ordering = ["incident", "id"]
        verbose_name_plural = "incident log entries"
        indexes = [models.Index(fields=["incident", "id"])]

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.kind} {self.text[:40]}"


# Resources: units, their crews, statuses and assignments ------------------------------------


class BaseType(models.TextChoices):
    """What a unit's status means to the system. Forces name their own statuses (``UnitStatus``);
    logic only ever looks at the base type."""

    AVAILABLE = "available", "Available"
    ASSIGNED = "assigned", "Assigned"
    EN_ROUTE = "en_route", "En route"
    AT_SCENE = "at_scene", "At scene"
    RETURNING = "returning", "Returning"
    UNAVAILABLE = "unavailable", "Unavailable"
    OFF_DUTY = "off_duty", "Off duty"


class UnitType(models.Model):
    """A kind of unit (IRV, ARV, dog unit…) and what its crew must hold. The list is data:
    ``data/unit_types.json``, loaded by a migration and by ``resources.load_unit_types``."""

    code = models.CharField(max_length=32, unique=True, help_text="Stable code, e.g. 'ARV'.")
    name = models.CharField(max_length=120)
    min_crew = models.PositiveSmallIntegerField(default=1)
    every_member_needs = models.JSONField(default=list, blank=True, help_text="Skill codes every crew member holds.")
    one_member_needs = models.JSONField(
        default=list, blank=True, help_text="Skill codes at least one crew member (e.g. the driver) holds."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class UnitStatus(models.Model):
    """A status a force's units can have, e.g. 'ASC At scene', mapped to a fixed base type.
    Seeded from ``data/unit_statuses.json``; a force may add its own."""

    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=8)
    label = models.CharField(max_length=60)
    base_type = models.CharField(max_length=12, choices=BaseType.choices)
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Display order; the first status of a base type is the one the system sets."
    )

    class Meta:
        ordering = ["force", "position", "code"]
        verbose_name = "unit status"
        verbose_name_plural = "unit statuses"
        constraints = [models.UniqueConstraint(fields=["force", "code"], name="unit_status_code_unique_in_force")]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class Resource(models.Model):
    """A unit that can be sent: a call sign (``MD21``), its type, home BCU, crew and equipment.
    Called "unit" everywhere users see it; the model is ``Resource`` so that it is never confused
    with the workforce record's ``business.Unit`` (a team), nor its permissions."""

    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="+")
    call_sign = models.CharField(max_length=16)
    unit_type = models.ForeignKey(UnitType, on_delete=models.PROTECT, related_name="+")
    home_bcu = models.ForeignKey("core.Bcu", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    equipment = models.JSONField(default=list, blank=True, help_text="e.g. ['defibrillator', 'stinger'].")
    status = models.ForeignKey(UnitStatus, on_delete=models.PROTECT, related_name="+")
    status_since = models.DateTimeField()
    # Optimistic concurrency, as for incidents.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["force", "call_sign"]
        verbose_name = "unit"
        permissions = [
            ("dispatch_resource", "Assign units to incidents and move assignments along"),
            ("set_resource_status", "Set the status of any unit of the force"),
            ("set_own_resource_status", "Set the status of the unit one is crewing"),
            ("raise_urgent_assistance", "Raise an urgent assistance alert"),
            ("acknowledge_urgent_assistance", "Acknowledge urgent assistance alerts"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["force", "call_sign"], name="resource_call_sign_unique_in_force")
        ]
        indexes = [models.Index(fields=["force", "status"])]

    def __str__(self) -> str:
        return self.call_sign


class UnitStatusChange(AppendOnly):
    """One change of a unit's status: the history, never changed."""

    unit = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.ForeignKey(UnitStatus, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_status = models.ForeignKey(UnitStatus, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    by_label = models.CharField(max_length=150)
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["unit", "id"]
        indexes = [models.Index(fields=["unit", "id"])]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.from_status_id} → {self.to_status_id} at {self.at:%H:%M:%S}"


class CrewMember(models.Model):
    """A person of the workforce record on a unit from ``from_at`` until ``until_at`` (open: still
    on it). A person is on one unit at a time."""

    unit = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="crew")
    person = models.ForeignKey("business.Person", on_delete=models.PROTECT, related_name="+")
    from_at = models.DateTimeField()
    until_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["unit", "from_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(until_at__isnull=True), name="crew_member_on_one_unit_at_a_time"
            ),
            models.CheckConstraint(
                condition=Q(until_at__isnull=True) | Q(until_at__gte=models.F("from_at")),
                name="crew_member_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} on {self.unit_id}"


class Assignment(models.Model):
    """A unit sent to an incident: assigned → en route → at scene → cleared."""

    class State(models.TextChoices):
        ASSIGNED = "assigned", "Assigned"
        EN_ROUTE = "en_route", "En route"
        AT_SCENE = "at_scene", "At scene"
        CLEARED = "cleared", "Cleared"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="assignments")
    unit = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="assignments")
    state = models.CharField(max_length=10, choices=State.choices, default=State.ASSIGNED)
    assigned_at = models.DateTimeField()
    en_route_at = models.DateTimeField(null=True, blank=True)
    at_scene_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assigned_by_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["incident", "assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"], condition=~Q(state="cleared"), name="assignment_one_open_per_unit"
            ),
        ]
        indexes = [models.Index(fields=["incident", "state"])]

    def __str__(self) -> str:
        return f"{self.unit_id} to incident {self.incident_id}: {self.state}"


class UrgentAssistance(models.Model):
    """An officer needs help now. Open until acknowledged; while open it takes over every
    control-room screen of the unit's BCU."""

    unit = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="urgent_assistance")
    bcu = models.ForeignKey("core.Bcu", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    raised_at = models.DateTimeField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    raised_by_label = models.CharField(max_length=150)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_by_label = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = "urgent assistance alert"
        constraints = [
            models.UniqueConstraint(
                fields=["unit"], condition=Q(acknowledged_at__isnull=True), name="urgent_assistance_one_open_per_unit"
            ),
        ]
        indexes = [models.Index(fields=["bcu", "acknowledged_at"])]

    def __str__(self) -> str:
        return f"Urgent assistance {self.unit_id} at {self.raised_at:%H:%M:%S}"
