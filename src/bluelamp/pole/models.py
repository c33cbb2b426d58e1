"""The POLE store: persons, objects, locations and events, the links between them (with the
part each played) and warning markers. Tables and invariants only: writes live in
``services.py``, reads in ``selectors.py``. Kinds, roles and marker types are data
(``catalogue.py``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from bluelamp.pole import catalogue

# Records are corrected or ended, never deleted here (retention is the data platform's job).
NO_DELETE = ("add", "change", "view")


def exactly_one(*fields: str) -> Q:
    """True when exactly one of the foreign keys ``fields`` is set."""
    condition = Q()
    for chosen in fields:
        others = {f"{name}__isnull": True for name in fields if name != chosen}
        condition |= Q(**{f"{chosen}__isnull": False}, **others)
    return condition


class Person(models.Model):
    """A person known to the force (one record per source until the golden nominal merges them)."""

    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="pole_persons")
    surname = models.CharField(max_length=80)
    forenames = models.CharField(max_length=120, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=32, blank=True)
    description = models.TextField(blank=True)
    aliases = models.JSONField(default=list, blank=True, help_text="Other names used, as a list of strings.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        default_permissions = NO_DELETE
        permissions = [("consult_person", "Open a person's details (with a justification)")]
        ordering = ["surname", "forenames"]
        indexes = [models.Index(fields=["force", "surname", "forenames"])]

    def __str__(self) -> str:
        return f"Person {self.pk}"  # never the name: strings end up in logs

    @property
    def full_name(self) -> str:
        return f"{self.forenames} {self.surname}".strip()


class Object(models.Model):
    """A thing: a vehicle (identified by its normalised plate), a weapon, property, a phone…"""

    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="pole_objects")
    kind = models.CharField(max_length=32, choices=catalogue.object_kinds)
    identifier = models.CharField(
        max_length=64, blank=True, help_text="Plate for vehicles (e.g. AB12CDE), serial number, IMEI…"
    )
    description = models.TextField(blank=True)
    make = models.CharField(max_length=60, blank=True)
    model = models.CharField(max_length=60, blank=True)
    colour = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        default_permissions = NO_DELETE
        ordering = ["kind", "identifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["force", "kind", "identifier"],
                condition=~Q(identifier=""),
                name="pole_object_identifier_unique_in_force",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.identifier}".strip()


class Location(models.Model):
    """A place: an address and/or a point, with the h3 cell used to find what is near it."""

    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="pole_locations")
    address = models.TextField(blank=True)
    address_key = models.CharField(max_length=255, blank=True, help_text="The address normalised for matching.")
    postcode = models.CharField(max_length=10, blank=True)
    uprn = models.BigIntegerField(null=True, blank=True, help_text="Unique Property Reference Number, when known.")
    lat = models.FloatField()
    lon = models.FloatField()
    h3_cell = models.CharField(max_length=16, help_text="h3 cell at resolution 10 (see pole/nearby.py).")
    borough = models.ForeignKey("core.Borough", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    bcu = models.ForeignKey("core.Bcu", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        default_permissions = NO_DELETE
        ordering = ["address"]
        indexes = [models.Index(fields=["h3_cell"]), models.Index(fields=["force", "uprn"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(lat__gte=-90, lat__lte=90, lon__gte=-180, lon__lte=180), name="pole_location_lat_lon"
            )
        ]

    def __str__(self) -> str:
        return self.address or f"{self.lat:.5f}, {self.lon:.5f}"


class Event(models.Model):
    """Something that happened: an incident, a report, a contact… fed by the system that owns it,
    which is named with its own reference (``source_system``, ``source_id``)."""

    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="pole_events")
    kind = models.CharField(max_length=32, choices=catalogue.event_kinds)
    source_system = models.CharField(max_length=32, help_text="Which system owns the record, e.g. 'control'.")
    source_id = models.CharField(max_length=64, help_text="The record's reference in that system.")
    occurred_at = models.DateTimeField()
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=40, blank=True)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    open = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The owning system's name for it (a CAD reference), set for display by
    # bluelamp.pole.sources.name_events; never stored.
    reference: str = ""

    class Meta:
        default_permissions = NO_DELETE
        permissions = [("view_history", "See history at the point of contact")]
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["force", "source_system", "source_id"], name="pole_event_source_unique_in_force"
            )
        ]
        indexes = [models.Index(fields=["kind", "occurred_at"]), models.Index(fields=["open", "location"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.source_system}:{self.source_id}"


class Link(models.Model):
    """The part a person, object or location (exactly one) played in an event."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="links")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="links")
    object = models.ForeignKey(Object, on_delete=models.PROTECT, null=True, blank=True, related_name="links")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, null=True, blank=True, related_name="links")
    role = models.CharField(max_length=32, choices=catalogue.link_roles)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        default_permissions = NO_DELETE
        constraints = [
            models.CheckConstraint(condition=exactly_one("person", "object", "location"), name="pole_link_one_target"),
            *(
                models.UniqueConstraint(
                    fields=["event", target, "role"],
                    condition=Q(**{f"{target}__isnull": False}),
                    name=f"pole_link_{target}_once_per_role",
                )
                for target in ("person", "object", "location")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} in {self.event}"


class WarningMarker(models.Model):
    """A warning about a person, object or location (exactly one), current from ``added_at``
    until it is ended, and reviewed by ``review_on``."""

    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="pole_markers")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="markers")
    object = models.ForeignKey(Object, on_delete=models.PROTECT, null=True, blank=True, related_name="markers")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, null=True, blank=True, related_name="markers")
    marker_type = models.CharField(max_length=32, choices=catalogue.marker_types)
    detail = models.TextField(blank=True)
    review_on = models.DateField()
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reason = models.TextField(blank=True)

    class Meta:
        default_permissions = NO_DELETE
        ordering = ["-added_at"]
        constraints = [
            models.CheckConstraint(
                condition=exactly_one("person", "object", "location"), name="pole_marker_one_subject"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("added_at")), name="pole_marker_ends_after_added"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_marker_type_display()} marker"
