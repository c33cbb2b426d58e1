"""Online reports, their evidence, what the reporter and the force say afterwards, and the
delivery of each to the force's destination (control room, email or HTTPS)."""

from __future__ import annotations

from django.db import models


class Destination(models.Model):
    """Where a force's online reports go. A force without one is not onboarded for reports."""

    class Kind(models.TextChoices):
        CONTROL = "control", "bluelamp control room (contact intake)"
        EMAIL = "email", "Email"
        HTTPS = "https", "HTTPS JSON POST"

    force = models.OneToOneField("core.Force", on_delete=models.CASCADE, related_name="report_destination")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.CONTROL)
    email = models.EmailField(blank=True, help_text="For an email destination.")
    url = models.URLField(blank=True, help_text="For an HTTPS destination: the JSON is POSTed here.")
    auth_header = models.CharField(
        max_length=200, blank=True, help_text="For HTTPS: sent as the Authorization header (e.g. 'Bearer …')."
    )
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="email") | ~models.Q(email=""), name="destination_email_has_address"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="https") | ~models.Q(url=""), name="destination_https_has_url"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.force}: {self.get_kind_display()}"


class Status(models.TextChoices):
    RECEIVED = "received", "Received"
    ASSESSING = "assessing", "Being assessed"
    OFFICER = "officer", "Passed to an officer"
    CRIME_REFERENCE = "crime_ref", "Crime reference given"
    CLOSED = "closed", "Closed"


class Report(models.Model):
    """One report from the public. ``force`` is the force that polices the place (where it is
    delivered); ``site_force`` the force site it was made on."""

    reference = models.CharField(max_length=40, unique=True)
    force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="+")
    site_force = models.ForeignKey("core.Force", on_delete=models.PROTECT, related_name="+")
    journey = models.CharField(max_length=60)
    journey_title = models.CharField(max_length=200)
    submitted_at = models.DateTimeField(db_index=True)
    idempotency_key = models.CharField(max_length=64, unique=True)
    category = models.CharField(max_length=60)
    qualifiers = models.JSONField(default=list, blank=True)
    hocr_class = models.CharField(max_length=80, blank=True, help_text="Home Office Counting Rules class (crimes).")
    description = models.TextField(blank=True)
    answers = models.JSONField(default=dict, help_text="Every answer, by question id, as given.")
    address = models.CharField(max_length=300, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    people = models.JSONField(default=list, blank=True)
    vehicles = models.JSONField(default=list, blank=True)
    anonymous = models.BooleanField(default=False)
    reporter_name = models.CharField(max_length=150, blank=True)
    reporter_email = models.EmailField(blank=True)
    reporter_phone = models.CharField(max_length=40, blank=True)
    tracking_code_hash = models.CharField(max_length=64, blank=True)
    tracking_failures = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    crime_reference = models.CharField(max_length=40, blank=True)
    contact_id = models.BigIntegerField(null=True, blank=True, db_index=True, help_text="The control-room contact.")
    acknowledged_at = models.DateTimeField(null=True, blank=True, help_text="When the destination took it.")
    personal_data_purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        permissions = [("message_reporter", "Can send a message or status to the person who reported")]

    def __str__(self) -> str:
        return self.reference


class Evidence(models.Model):
    """A file given with a report, stored outside the web root under a random name."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="evidence")
    stored_name = models.CharField(max_length=64, unique=True)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=80)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return f"{self.report.reference}: {self.original_name}"


class ReportUpdate(models.Model):
    """Something said after the report: a status change or message from the force (shown to the
    reporter), or more information from the reporter (delivered onwards)."""

    class Kind(models.TextChoices):
        STATUS = "status", "Status change"
        FORCE_MESSAGE = "message", "Message from the force"
        REPORTER = "reporter", "More information from the reporter"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="updates")
    at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.TextField()
    source_event = models.BigIntegerField(null=True, blank=True, unique=True, help_text="Control outbox event.")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.report.reference}: {self.get_kind_display()}"


class Delivery(models.Model):
    """One report (or one addition to it) to take to the force's destination: the worker's
    queue, written in the same transaction as what it delivers."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed: gave up retrying"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="deliveries")
    update = models.OneToOneField(ReportUpdate, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    acknowledgement = models.CharField(max_length=200, blank=True, help_text="What the destination answered.")

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["next_attempt_at", "id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        what = "addition to " if self.update_id else ""
        return f"Delivery of {what}{self.report.reference}: {self.get_state_display()}"


class SentMessage(models.Model):
    """An email as the local notification backend 'sent' it (the default outside production)."""

    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    sent_at = models.DateTimeField(auto_now_add=True)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return self.subject
