"""The admin site for resources: reference data and units. Writes that change state (status,
assignment, urgent assistance) go through the services, so their history and logs are kept;
here those records are read only."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from bluelamp.control.models import Assignment, Resource, UnitStatus, UnitStatusChange, UnitType, UrgentAssistance
from bluelamp.core.access import scoped
from bluelamp.core.models import User


class ForceScoped(admin.ModelAdmin):  # type: ignore[type-arg]
    """Lists only what the signed-in user may see of units (their force's, unless across forces)."""

    force_field = "force"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scoped(
            super().get_queryset(request),
            cast(User, request.user),
            permission="control.view_resource",
            force_field=self.force_field,
        )


@admin.register(UnitType)
class UnitTypeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["code", "name", "min_crew", "every_member_needs", "one_member_needs"]


@admin.register(UnitStatus)
class UnitStatusAdmin(ForceScoped):
    list_display = ["force", "code", "label", "base_type", "position"]
    list_filter = ["force", "base_type"]


class ReadOnly(ForceScoped):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Resource)
class ResourceAdmin(ReadOnly):
    list_display = ["call_sign", "force", "unit_type", "home_bcu", "status", "status_since"]
    list_filter = ["force", "unit_type", "status__base_type"]
    search_fields = ["call_sign"]


@admin.register(UnitStatusChange)
class UnitStatusChangeAdmin(ReadOnly):
    force_field = "unit__force"
    list_display = ["unit", "from_status", "to_status", "at", "by_label", "incident"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnly):
    force_field = "unit__force"
    list_display = ["incident", "unit", "state", "assigned_at", "at_scene_at", "cleared_at"]


@admin.register(UrgentAssistance)
class UrgentAssistanceAdmin(ReadOnly):
    force_field = "unit__force"
    list_display = ["unit", "bcu", "raised_at", "acknowledged_at", "acknowledged_by_label"]
