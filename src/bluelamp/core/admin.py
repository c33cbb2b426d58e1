from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from bluelamp.core.models import Bcu, Borough, Force, ForceHostname, User


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
