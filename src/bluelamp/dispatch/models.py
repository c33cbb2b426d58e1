"""Dispatch: where units are (AVL), and pre-planned operations.

Tables and invariants only. Writes are in ``avl.py`` (positions) and ``services.py``
(operations, dispatching); reads in ``selectors.py``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q


class UnitPosition(models.Model):
    """The latest known position of a unit (one row per unit, upserted in bulk by the AVL feed):
    what the in-memory index is rebuilt from when a worker starts."""

    unit = models.OneToOneField("control.Resource", on_delete=models.CASCADE, primary_key=True, related_name="+")
    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="+")
    # Rewritten thousands of times a second: no index on it beyond the key and the force.
    at = models.DateTimeField(help_text="When the device took the fix.")
    lat = models.FloatField()
    lon = models.FloatField()
    easting = models.FloatField(help_text="British National Grid, metres.")
    northing = models.FloatField()
    speed = models.FloatField(null=True, blank=True, help_text="Metres per second, as reported.")
    heading = models.FloatField(null=True, blank=True, help_text="Degrees clockwise from north.")
    source = models.CharField(max_length=40, blank=True, help_text="e.g. 'avl', 'radio', 'app'.")
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["unit"]
        permissions = [
            ("send_positions", "Send vehicle and officer locations (the AVL feed)"),
            ("recommend_resources", "See the recommended units for an incident"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} at {self.at:%H:%M:%S}"


class PositionSample(models.Model):
    """A sampled history of positions (one point per unit per configured interval), for replay
    and analysis. Unique on (unit, at), so a repeated delivery adds nothing."""

    # Indexed by (unit, at) and (force, at) only: every extra index is written on every insert.
    unit = models.ForeignKey("control.Resource", on_delete=models.CASCADE, related_name="+", db_index=False)
    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="+", db_index=False)
    at = models.DateTimeField()
    lat = models.FloatField()
    lon = models.FloatField()
    easting = models.FloatField()
    northing = models.FloatField()
    speed = models.FloatField(null=True, blank=True)
    heading = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["unit", "at"]
        constraints = [models.UniqueConstraint(fields=["unit", "at"], name="position_sample_unique_per_unit_time")]
        indexes = [models.Index(fields=["force", "at"])]

    def __str__(self) -> str:
        return f"{self.unit_id} at {self.at:%H:%M:%S}"


class Operation(models.Model):
    """A pre-planned operation or event (a carnival, a football match): an area and a time window.
    Units reserved for it are not offered for general dispatch while it runs; incidents created
    inside its area during its window are tagged to it."""

    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=160)
    commander = models.CharField(max_length=150, help_text="Who commands it (name, rank), as given.")
    commander_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    area = models.JSONField(help_text="GeoJSON geometry (WGS84) of the operation's area.")
    # The area's bounding box, so that most incidents are ruled out without reading the shape.
    min_lat = models.FloatField()
    min_lon = models.FloatField()
    max_lat = models.FloatField()
    max_lon = models.FloatField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_at = models.DateTimeField()
    created_by_label = models.CharField(max_length=150)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="operation_ends_after_start")
        ]
        indexes = [models.Index(fields=["force", "starts_at", "ends_at"])]

    def __str__(self) -> str:
        return self.name


class OperationResource(models.Model):
    """A unit reserved for an operation from ``from_at`` until released (``until_at``)."""

    operation = models.ForeignKey(Operation, on_delete=models.PROTECT, related_name="resources")
    unit = models.ForeignKey("control.Resource", on_delete=models.PROTECT, related_name="+")
    from_at = models.DateTimeField()
    until_at = models.DateTimeField(null=True, blank=True)
    by_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["operation", "from_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "unit"], condition=Q(until_at__isnull=True), name="operation_unit_reserved_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} for operation {self.operation_id}"


class OperationIncident(models.Model):
    """An incident tagged to an operation (automatically when created in its area and window)."""

    operation = models.ForeignKey(Operation, on_delete=models.PROTECT, related_name="incidents")
    incident = models.ForeignKey("control.Incident", on_delete=models.PROTECT, related_name="+")
    tagged_at = models.DateTimeField()
    automatic = models.BooleanField(default=True)

    class Meta:
        ordering = ["operation", "tagged_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["operation", "incident"], name="operation_incident_tagged_once"),
        ]

    def __str__(self) -> str:
        return f"incident {self.incident_id} in operation {self.operation_id}"


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise ValueError("Operation log entries are append-only: add a new one instead.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValueError("Operation log entries are append-only and are never deleted.")


class OperationLogEntry(models.Model):
    """One line of an operation's log. Append-only."""

    operation = models.ForeignKey(Operation, on_delete=models.PROTECT, related_name="log")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    by_label = models.CharField(max_length=150)
    kind = models.CharField(
        max_length=20, help_text="created, text, unit_reserved, unit_released, incident_tagged, ended"
    )
    text = models.TextField()
    data = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["operation", "id"]
        verbose_name_plural = "operation log entries"

    def __str__(self) -> str:
        return f"{self.at:%H:%M:%S} {self.kind} {self.text[:40]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Operation log entries are append-only: add a new one instead.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Operation log entries are append-only and are never deleted.")
