"""Admin for the workforce record: read-mostly, and scoped by force like every other read.

People are never edited or shown in full here: a person's record is opened only through the
staff page, which asks for a justification and logs the consultation. Units are edited here
through ``services.save_unit``; everything else comes from the HR import or ``skills.json``."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from bluelamp.business import services
from bluelamp.business.models import Authorisation, Person, Post, Skill, Unit
from bluelamp.core.access import scoped
from bluelamp.core.models import User


class ForceScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Lists only what the signed-in user may see with the model's view permission."""

    force_field = "force"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        permission = f"business.view_{self.model._meta.model_name}"
        return scoped(
            super().get_queryset(request), cast(User, request.user), permission=permission, force_field=self.force_field
        )


class ReadOnlyAdmin(ForceScopedAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Unit)
class UnitAdmin(ForceScopedAdmin):
    list_display = ["name", "code", "kind", "bcu", "parent", "force"]
    list_filter = ["force", "kind"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return ["force", "code"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # people and posts refer to units; rename or re-parent instead

    def save_model(self, request: HttpRequest, obj: Unit, form: ModelForm[Unit], change: bool) -> None:
        saved = services.save_unit(
            actor=cast(User, request.user),
            force=obj.force,
            code=obj.code,
            name=obj.name,
            kind=obj.kind,
            parent=obj.parent,
            bcu=obj.bcu,
        )
        obj.pk = saved.pk


@admin.register(Post)
class PostAdmin(ReadOnlyAdmin):
    list_display = ["number", "title", "unit", "force"]
    list_filter = ["force"]
    search_fields = ["number", "title"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # Posts are organisational, so seeing units is enough to see them.
        return scoped(
            Post.objects.select_related("unit", "force"), cast(User, request.user), permission="business.view_unit"
        )

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.has_perm("business.view_unit")


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["code", "name"]
    search_fields = ["code", "name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # rules as data: add skills to business/data/skills.json

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    """Finds people by staff number; opening one goes to the staff page, which asks why."""

    list_display = ["staff_number", "rank_or_grade", "unit", "active", "force"]
    list_filter = ["force", "active"]
    search_fields = ["staff_number"]
    list_select_related = ["unit", "force"]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return HttpResponseRedirect(reverse("business:person", args=[int(object_id)]))


@admin.register(Authorisation)
class AuthorisationAdmin(ReadOnlyAdmin):
    force_field = "person__force"
    list_display = ["skill", "person_staff_number", "valid_from", "valid_until"]
    list_filter = ["skill"]
    search_fields = ["person__staff_number"]
    list_select_related = ["skill", "person"]

    @admin.display(description="Staff number", ordering="person__staff_number")
    def person_staff_number(self, obj: Authorisation) -> str:
        return obj.person.staff_number
