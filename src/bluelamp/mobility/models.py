"""The device register (Smarter Working): device models and their costs, devices, SIMs, each
device's moves through its lifecycle, custody with a signature of receipt, remote-wipe requests,
the factory's stations and steps, the allocation's inputs, MDM findings, benefits and the
credential the officer app signs in with.

Tables and invariants only. Writes live in ``services.py``, reads in ``selectors.py``. The
workforce (people, units) belongs to ``business``: referred to here by string only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class DeviceModel(models.Model):
    """A make and model the force buys, with what one device costs."""

    class Kind(models.TextChoices):
        PHONE = "phone", "Smartphone"
        TABLET = "tablet", "Tablet"
        LAPTOP = "laptop", "Laptop"

    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="device_models")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PHONE)
    capital_cost = models.DecimalField(max_digits=10, decimal_places=2, help_text="Buying one device (capital).")
    running_cost = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        help_text="Airtime, licences and support for one device over the funding period (revenue).",
    )

    class Meta:
        ordering = ["force", "name"]
        constraints = [models.UniqueConstraint(fields=["force", "name"], name="device_model_name_unique_in_force")]

    def __str__(self) -> str:
        return self.name


class Sim(models.Model):
    """A SIM card: its own record, because SIMs move between devices."""

    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="sims")
    iccid = models.CharField("ICCID", max_length=22, unique=True)
    phone_number = models.CharField(max_length=20, blank=True)
    network = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["iccid"]
        verbose_name = "SIM"

    def __str__(self) -> str:
        return self.iccid


class Device(models.Model):
    """One device. The custodian (who holds it) and the cost-owning unit (who pays for it) are
    kept apart: a borrowed device stays on its unit's budget."""

    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="devices")
    model = models.ForeignKey(DeviceModel, on_delete=models.PROTECT, related_name="devices")
    serial_number = models.CharField(max_length=40)
    imei = models.CharField("IMEI", max_length=17, blank=True)
    sim = models.OneToOneField(Sim, on_delete=models.SET_NULL, null=True, blank=True, related_name="device")
    state = models.CharField(max_length=16, default="ordered", db_index=True)
    custodian = models.ForeignKey(
        "business.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="devices_held"
    )
    cost_unit = models.ForeignKey(
        "business.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="devices_paid_for"
    )
    bcu = models.ForeignKey("core.Bcu", on_delete=models.PROTECT, null=True, blank=True, related_name="devices")
    priority = models.PositiveSmallIntegerField(default=3, help_text="Factory queue order: 1 is built first.")
    last_seen_at = models.DateTimeField(null=True, blank=True, help_text="Last check-in reported by the MDM.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["force", "serial_number"]
        constraints = [
            models.UniqueConstraint(fields=["force", "serial_number"], name="device_serial_unique_in_force"),
            models.UniqueConstraint(fields=["imei"], condition=~Q(imei=""), name="device_imei_unique"),
            # Only an issued device has a custodian; the register never says someone holds a
            # device that is on a shelf.
            models.CheckConstraint(
                condition=Q(custodian__isnull=True) | Q(state__in=["issued", "in_repair", "lost", "stolen"]),
                name="device_custodian_only_when_out",
            ),
        ]
        indexes = [models.Index(fields=["force", "state", "priority"])]
        permissions = [
            ("manage_devices", "Move devices through their lifecycle, issue and return them"),
            ("run_factory", "Record build and test steps in the factory"),
            ("plan_allocation", "Plan the allocation of devices to units under the budget"),
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.serial_number}"


class DeviceMove(models.Model):
    """One move of a device from one lifecycle state to another: the device's history."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="moves")
    from_state = models.CharField(max_length=16)
    to_state = models.CharField(max_length=16)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["device", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.device_id}: {self.from_state} -> {self.to_state}"


class Custody(models.Model):
    """A device checked out to a person (with their signature of receipt) and, later, back in."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="custodies")
    person = models.ForeignKey("business.Person", on_delete=models.PROTECT, related_name="device_custodies")
    checked_out_at = models.DateTimeField()
    signed_name = models.CharField(max_length=160, help_text="The name the receiver signed with.")
    signature = models.TextField(help_text="The receiver's signature as captured (e.g. an SVG path or typed name).")
    checked_in_at = models.DateTimeField(null=True, blank=True)
    condition_on_return = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-checked_out_at"]
        verbose_name_plural = "custodies"
        constraints = [
            models.UniqueConstraint(
                fields=["device"], condition=Q(checked_in_at__isnull=True), name="one_open_custody_per_device"
            )
        ]

    def __str__(self) -> str:
        return f"{self.device_id} to {self.signed_name}"


class WipeRequest(models.Model):
    """A remote wipe asked of the MDM when a device is lost or stolen."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="wipe_requests")
    reason = models.CharField(max_length=16)
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    adapter = models.CharField(max_length=40, help_text="The MDM adapter that took the request.")
    reference = models.CharField(max_length=80, blank=True, help_text="The MDM's reference for the request.")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"Wipe {self.device_id} ({self.reference})"


class DeviceCredential(models.Model):
    """What the officer app signs in with: a secret bound to one device (only its hash is kept).
    Revoked the moment the device is reported lost or stolen."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="credentials")
    key_id = models.CharField(max_length=24, unique=True)
    secret_hash = models.CharField(max_length=128)
    issued_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return self.key_id


# The factory ----------------------------------------------------------------------------


class BuildStation(models.Model):
    """A bench in the factory that builds and tests so many devices a working day."""

    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="build_stations")
    name = models.CharField(max_length=80)
    capacity_per_day = models.PositiveIntegerField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["force", "name"]
        constraints = [models.UniqueConstraint(fields=["force", "name"], name="build_station_name_unique_in_force")]

    def __str__(self) -> str:
        return self.name


class BuildStep(models.Model):
    """One build or test step done to a device at a station."""

    class Kind(models.TextChoices):
        BUILD = "build", "Build (image, enrol in MDM)"
        TEST = "test", "Test"

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="build_steps")
    station = models.ForeignKey(BuildStation, on_delete=models.PROTECT, related_name="steps")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    passed = models.BooleanField(default=True)
    notes = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(db_index=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.device_id}"


# Requirement and allocation ------------------------------------------------------------------


class Requirement(models.Model):
    """What a unit needs: so many devices of a model for a role, how much each is worth to it,
    and the date by which it must have them (e.g. a site closing)."""

    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="device_requirements")
    unit = models.ForeignKey("business.Unit", on_delete=models.CASCADE, related_name="device_requirements")
    role = models.CharField(max_length=60, help_text="The rank, grade or role the devices are for.")
    model = models.ForeignKey(DeviceModel, on_delete=models.PROTECT, related_name="requirements")
    quantity = models.PositiveIntegerField()
    priority = models.PositiveSmallIntegerField(default=3, help_text="1 (highest) to 5.")
    benefit_per_device = models.DecimalField(
        max_digits=10, decimal_places=2, help_text="Hours a year one device saves in this role."
    )
    business_group = models.CharField(max_length=60, help_text="E.g. Frontline Policing, Specialist Operations.")
    needed_by = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["force", "priority", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "role", "model"], name="requirement_unique_per_unit_role_model")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.role}: {self.quantity}"


class FundingStream(models.Model):
    """Money for devices: capital (buying) or revenue (running), and the units it may pay for
    (none listed: any unit)."""

    class Kind(models.TextChoices):
        CAPITAL = "capital", "Capital"
        REVENUE = "revenue", "Revenue"

    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="funding_streams")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    units = models.ManyToManyField("business.Unit", blank=True, related_name="device_funding_streams")

    class Meta:
        ordering = ["force", "name"]

    def __str__(self) -> str:
        return self.name


# MDM reconciliation --------------------------------------------------------------------------


class MdmFinding(models.Model):
    """A difference between the MDM's export and the register, to be resolved by a person."""

    class Kind(models.TextChoices):
        UNKNOWN = "unknown", "Not in the register"
        SILENT = "silent", "Silent"
        CUSTODIAN = "custodian", "Custodian differs"

    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="mdm_findings")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    device = models.ForeignKey(Device, on_delete=models.CASCADE, null=True, blank=True, related_name="mdm_findings")
    serial_number = models.CharField(max_length=40)
    detail = models.CharField(max_length=300)
    found_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    resolution = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["resolved_at", "-found_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.serial_number}"


# Benefits --------------------------------------------------------------------------------


class Benefit(models.Model):
    """A benefit the devices must deliver, with its baseline, target and what was measured."""

    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="device_benefits")
    name = models.CharField(max_length=160)
    business_group = models.CharField(max_length=60)
    measure = models.CharField(max_length=120, help_text="What is measured, e.g. 'hours at a desk per shift'.")
    baseline = models.DecimalField(max_digits=12, decimal_places=2)
    target = models.DecimalField(max_digits=12, decimal_places=2)
    actual = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    owner = models.CharField(max_length=120)
    due_on = models.DateField()
    measured_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["force", "business_group", "name"]

    def __str__(self) -> str:
        return self.name
