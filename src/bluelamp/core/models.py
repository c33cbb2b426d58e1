"""Forces (the tenants of one deployment) and the areas they police."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class Force(models.Model):
    """A police force: the tenant every record belongs to."""

    code = models.SlugField(max_length=32, unique=True, help_text="Short stable code, e.g. 'met'.")
    name = models.CharField(max_length=120, unique=True)
    short_name = models.CharField(max_length=60, blank=True)
    boundary = models.JSONField(
        null=True, blank=True, help_text="GeoJSON geometry (WGS84) of the area the force polices."
    )

    class Meta:
        ordering = ["name"]

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

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A member of staff. Every account belongs to one force (national roles read across
    forces only where a permission says so)."""

    force = models.ForeignKey(Force, on_delete=models.PROTECT, related_name="users", null=True, blank=True)
