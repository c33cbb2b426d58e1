"""Forces (the tenants of one deployment) and the areas they police."""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.models import AbstractUser
from django.db import models

_Bounded = TypeVar("_Bounded", bound=models.Model)


def with_related(queryset: models.QuerySet[_Bounded], *relations: str) -> models.QuerySet[_Bounded]:
    """``select_related(*relations)`` without the related forces' and boroughs' boundaries.

    A join reads every column of the joined table whatever its default manager defers, and
    decoding the Met's outline costs milliseconds: joins to a force or borough must not pay it."""
    shapes = []
    for relation in relations:
        model: Any = queryset.model
        for step in relation.split("__"):
            model = model._meta.get_field(step).related_model
        if any(field.name == "boundary" for field in model._meta.concrete_fields):
            shapes.append(f"{relation}__boundary")
    return queryset.select_related(*relations).defer(*shapes)


class WithoutBoundaryManager(models.Manager[_Bounded]):
    """Leaves the (large) GeoJSON boundary unread: nearly every query about a force or borough,
    including following a foreign key to one, needs its name, not its shape. Code that needs
    the shape asks ``with_boundary``."""

    def get_queryset(self) -> models.QuerySet[_Bounded]:
        return super().get_queryset().defer("boundary")


class Force(models.Model):
    """A police force: the tenant every record belongs to."""

    code = models.SlugField(max_length=32, unique=True, help_text="Short stable code, e.g. 'met'.")
    name = models.CharField(max_length=120, unique=True)
    short_name = models.CharField(max_length=60, blank=True)
    boundary = models.JSONField(
        null=True, blank=True, help_text="GeoJSON geometry (WGS84) of the area the force polices."
    )

    with_boundary: models.Manager[Force] = models.Manager()
    objects = WithoutBoundaryManager["Force"]()

    class Meta:
        ordering = ["name"]
        default_manager_name = "objects"
        base_manager_name = "objects"  # related lookups (incident.force) skip the boundary too

    def __str__(self) -> str:
        return self.name


class ForceHostname(models.Model):
    """A host name a force's sites are served on (one host belongs to one force)."""

    force = models.ForeignKey(Force, on_delete=models.CASCADE, related_name="hostnames")
    hostname = models.CharField(max_length=253, unique=True)

    class Meta:
        ordering = ["hostname"]

    def __str__(self) -> str:
        return self.hostname


class Bcu(models.Model):
    """A Basic Command Unit: the operational grouping of boroughs inside a force."""

    force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="bcus")
    code = models.CharField(max_length=8)
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["force", "name"]
        verbose_name = "BCU"
        verbose_name_plural = "BCUs"
        constraints = [
            models.UniqueConstraint(fields=["force", "code"], name="bcu_code_unique_in_force"),
            models.UniqueConstraint(fields=["force", "name"], name="bcu_name_unique_in_force"),
        ]

    def __str__(self) -> str:
        return self.name


class Borough(models.Model):
    """A local authority area (a London borough or the City of London), identified by GSS code."""

    gss_code = models.CharField(max_length=9, unique=True)
    name = models.CharField(max_length=80)
    force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="boroughs")
    bcu = models.ForeignKey(Bcu, on_delete=models.PROTECT, related_name="boroughs", null=True, blank=True)
    boundary = models.JSONField(help_text="GeoJSON geometry (WGS84).")

    with_boundary: models.Manager[Borough] = models.Manager()
    objects = WithoutBoundaryManager["Borough"]()

    class Meta:
        ordering = ["name"]
        default_manager_name = "objects"
        base_manager_name = "objects"

    def __str__(self) -> str:
        return self.name


class GazetteerPlace(models.Model):
    """A named place a caller may give instead of a map point: a street in a borough, a station.
    Loaded from a file (`bluelamp load-gazetteer`), e.g. an export of OS Open Names."""

    name = models.CharField(max_length=120)
    locality = models.CharField(max_length=80, blank=True, help_text="Borough or town, to tell places apart.")
    search_key = models.CharField(max_length=220, help_text="Normalised words, each after a space.")
    lat = models.FloatField()
    lon = models.FloatField()
    source = models.CharField(max_length=80, help_text="Which file it came from; a reload replaces that source.")

    class Meta:
        ordering = ["name", "locality"]
        constraints = [
            models.UniqueConstraint(fields=["source", "name", "locality"], name="gazetteer_place_once_per_source")
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.locality}" if self.locality else self.name


class User(AbstractUser):
    """A member of staff. Every account belongs to one force (national roles read across
    forces only where a permission says so)."""

    force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="users", null=True, blank=True)
    # Bumped by "sign out everywhere": every session made before it stops being valid.
    session_generation = models.PositiveIntegerField(default=0)

    class Meta(AbstractUser.Meta):
        permissions = [
            ("read_across_forces", "Read records of every force (national roles)"),
            ("manage_roles", "Change the roles and members of roles in own force"),
            ("manage_api_tokens", "Create and revoke API tokens for own force"),
            ("view_audit", "Search and export the audit trail of own force"),
        ]

    def get_session_auth_hash(self) -> str:
        # Django signs each session with this; folding in the generation lets us end them all.
        return f"{super().get_session_auth_hash()}:{self.session_generation}"


class Role(models.Model):
    """A named set of permissions within a force (call handler, dispatcher, analyst…).
    Rules as data: defaults come from ``data/roles.json``; a force administrator may change
    the roles of their own force only."""

    force = models.ForeignKey(Force, on_delete=models.CASCADE, related_name="roles")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True)
    national = models.BooleanField(
        default=False, help_text="Holders may read across forces where a permission says so."
    )
    permissions = models.ManyToManyField("auth.Permission", blank=True, related_name="bluelamp_roles")
    members: models.ManyToManyField[User, Role] = models.ManyToManyField("User", blank=True, related_name="roles")

    class Meta:
        ordering = ["force", "name"]
        constraints = [models.UniqueConstraint(fields=["force", "code"], name="role_code_unique_in_force")]

    def __str__(self) -> str:
        return f"{self.name} ({self.force.short_name or self.force.code})"


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Bulk changes would bypass the model's refusal; refuse them too (PostgreSQL's trigger is
    the last line, ``verify-audit`` finds anything done behind both)."""

    def update(self, **kwargs: Any) -> int:
        raise ValueError("Audit entries are append-only: record a new entry instead of changing one.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit entries are append-only and are never deleted.")


class AuditEntry(models.Model):
    """One processing operation on personal data (DPA 2018 s.62). Append-only and hash-chained:
    ``entry_hash`` covers this entry's fields and the previous entry's hash, so a changed or
    deleted row breaks the chain (``bluelamp verify-audit``)."""

    class Operation(models.TextChoices):
        COLLECTION = "collection"
        ALTERATION = "alteration"
        CONSULTATION = "consultation"
        DISCLOSURE = "disclosure"
        COMBINATION = "combination"
        ERASURE = "erasure"

    at = models.DateTimeField(db_index=True)
    operation = models.CharField(max_length=16, choices=Operation.choices)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor_label = models.CharField(max_length=150, help_text="Who, as shown at the time (user or API client).")
    force = models.ForeignKey(Force, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    record_type = models.CharField(max_length=60, db_index=True)
    record_ids = models.JSONField(default=list)
    justification = models.TextField(blank=True)
    recipients = models.JSONField(default=list, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)
    key_id = models.CharField(
        max_length=32, blank=True, default="", help_text="The audit key that sealed the hash ('' before keys)."
    )

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["actor", "at"]), models.Index(fields=["force", "at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.operation} {self.record_type} by {self.actor_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Audit entries are append-only: record a new entry instead of changing one.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit entries are append-only and are never deleted.")


class AuditChainHead(models.Model):
    """A single row holding the hash of the newest audit entry. Writers lock it, so entries
    are chained one after another even with several workers."""

    last_hash = models.CharField(max_length=64)
    last_entry_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit chain head at entry {self.last_entry_id}"


class OutboxEvent(models.Model):
    """An event written in the same transaction as the change it describes (the outbox
    pattern); workers deliver it to other systems and the data platform."""

    topic = models.CharField(max_length=80, db_index=True)
    force = models.ForeignKey(Force, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"


class ConsumerCursor(models.Model):
    """How far one consumer of the outbox has read (``bluelamp.core.consumers``): the highest
    event handled, the lower ids not yet seen (a transaction may commit after a later one),
    and the event it is failing on, with the error and when to try again."""

    name = models.CharField(max_length=80, unique=True)
    position = models.BigIntegerField(default=0, help_text="The highest event id handled.")
    gaps = models.JSONField(default=dict, blank=True, help_text="Lower ids not seen yet → when first missed.")
    failing_event_id = models.BigIntegerField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.position}"


class ApiToken(models.Model):
    """A machine client's credential (ANPR feed, vehicle-location feed, partner system). Only
    a hash of the secret is stored; the secret is shown once, when the token is made."""

    force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=120)
    prefix = models.CharField(max_length=12, unique=True, help_text="First characters, to recognise it.")
    secret_hash = models.CharField(max_length=64, unique=True)
    permissions = models.ManyToManyField("auth.Permission", blank=True, related_name="+")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["force", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
