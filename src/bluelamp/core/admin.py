from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path

from bluelamp.core.models import AuditEntry, Bcu, Borough, Force, ForceHostname, User


class ForceHostnameInline(admin.TabularInline[ForceHostname, Force]):
    model = ForceHostname
    extra = 0


@admin.register(Force)
class ForceAdmin(admin.ModelAdmin[Force]):
    list_display = ["name", "code", "short_name"]
    search_fields = ["name", "code"]
    exclude = ["boundary"]  # large GeoJSON; loaded with `bluelamp load-geography`
    inlines = [ForceHostnameInline]


@admin.register(Bcu)
class BcuAdmin(admin.ModelAdmin[Bcu]):
    list_display = ["name", "code", "force"]
    list_filter = ["force"]


@admin.register(Borough)
class BoroughAdmin(admin.ModelAdmin[Borough]):
    list_display = ["name", "gss_code", "bcu", "force"]
    list_filter = ["force", "bcu"]
    search_fields = ["name", "gss_code"]
    exclude = ["boundary"]


@admin.register(User)
class StaffUserAdmin(UserAdmin[User]):
    list_display = ["username", "first_name", "last_name", "force", "is_active"]
    list_filter = ["force", "is_active", "is_staff"]
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Force", {"fields": ["force"]}))


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    """The trail is never changed here, and not read here either: the admin's link leads to
    /audit/, which is scoped by force and records each search with the auditor's reason."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        def to_audit_search(request: HttpRequest) -> HttpResponse:
            return redirect("audit:search")

        name = f"{self.opts.app_label}_{self.opts.model_name}_changelist"
        return [path("", self.admin_site.admin_view(to_audit_search), name=name)]
