"""Role membership → Wagtail groups. Our roles carry Django permissions (RoleBackend), but
Wagtail's page permissions are given to groups; whenever someone joins or leaves a role, their
editor groups are brought in line (services.sync_editor_groups)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed

from bluelamp.core.models import Role, User


def _users(instance: Any, reverse: bool, pk_set: set[int] | None) -> list[User]:
    if reverse:  # user.roles.add(...): the instance is the user
        return [instance] if isinstance(instance, User) else []
    if pk_set is None:
        return list(getattr(instance, "_cms_members_before_clear", []))
    return list(User.objects.filter(pk__in=pk_set))


def role_members_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **_: Any
) -> None:
    from bluelamp.online.cms.services import sync_editor_groups

    if action == "pre_clear" and isinstance(instance, Role):
        instance._cms_members_before_clear = list(instance.members.all())  # type: ignore[attr-defined]
        return
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    for user in _users(instance, reverse, pk_set):
        sync_editor_groups(user=user)


def connect() -> None:
    m2m_changed.connect(role_members_changed, sender=Role.members.through, dispatch_uid="online_cms_role_members")
