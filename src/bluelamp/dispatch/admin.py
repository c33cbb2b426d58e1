from django.contrib import admin

from bluelamp.dispatch.models import Operation, OperationIncident, OperationLogEntry, OperationResource, UnitPosition


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class ResourceInline(ReadOnlyInline):
    model = OperationResource


class IncidentInline(ReadOnlyInline):
    model = OperationIncident


class LogInline(ReadOnlyInline):
    model = OperationLogEntry


@admin.register(Operation)
class OperationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-mostly: operations are made and changed through the services (API), which log and
    emit events; the admin shows them whole."""

    list_display = ("name", "force", "commander", "starts_at", "ends_at")
    list_filter = ("force",)
    search_fields = ("name", "commander")
    readonly_fields = [f.name for f in Operation._meta.fields]
    inlines = [ResourceInline, IncidentInline, LogInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(UnitPosition)
class UnitPositionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("unit", "force", "at", "lat", "lon", "source")
    list_filter = ("force",)
    readonly_fields = [f.name for f in UnitPosition._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
