"""Wagtail's user and group screens, for national administrators only.

Wagtail lists every account on the platform, with no notion of a force; a force's content
editor (or a force administrator who also edits content) must not see other forces' staff
there. Our own role pages (core/access_views.py) are where a force manages its people."""

from __future__ import annotations

from typing import Any

from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.users.views.groups import GroupViewSet
from wagtail.users.views.users import UserViewSet

NATIONAL_ADMINISTRATION = ("core.read_across_forces", "core.manage_roles")


def is_national_administrator(user: Any) -> bool:
    return bool(user.is_active and all(user.has_perm(name) for name in NATIONAL_ADMINISTRATION))


class NationalAdministratorsOnly(ModelPermissionPolicy):
    """The model's own permissions, held by a national administrator."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        return is_national_administrator(user) and bool(super().user_has_permission(user, action))


class NationalUserViewSet(UserViewSet):
    @property
    def permission_policy(self) -> NationalAdministratorsOnly:
        return NationalAdministratorsOnly(self.model)


class NationalGroupViewSet(GroupViewSet):
    @property
    def permission_policy(self) -> NationalAdministratorsOnly:
        return NationalAdministratorsOnly(self.model)
