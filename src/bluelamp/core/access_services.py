"""Writes for roles: a force administrator changes their own force's roles only, and can
never hand out a permission they do not hold themselves (no escalation)."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db import transaction

from bluelamp.core import audit
from bluelamp.core.access import get_scoped, require
from bluelamp.core.errors import InvalidInput, PermissionDenied
from bluelamp.core.events import emit
from bluelamp.core.models import Role, User
from bluelamp.core.tokens import permission_names

MANAGE_ROLES = "core.manage_roles"
# Giving someone a role that carries one of these is itself a grant of power over access or
# oversight: only someone who holds it may do so (separation of duties).
GUARDED_PERMISSIONS = {"core.read_across_forces", "core.manage_roles", "core.manage_api_tokens", "core.view_audit"}


def _own_role(actor: User, role: Role) -> Role:
    return get_scoped(Role.objects.all(), actor, permission=MANAGE_ROLES, pk=role.pk)


@transaction.atomic
def set_role_permissions(*, actor: User, role: Role, permissions: list[Permission]) -> Role:
    role = _own_role(actor, role)
    current = set(role.permissions.all())
    changed = current.symmetric_difference(permissions)
    beyond = sorted(n for n in permission_names(changed) if not actor.has_perm(n))
    if beyond:
        raise PermissionDenied(f"You cannot give or take away permissions you do not hold: {', '.join(beyond)}.")
    role.permissions.set(permissions)
    emit(
        "core.role.permissions_changed",
        force=role.force,
        role=role.code,
        added=sorted(permission_names(set(permissions) - current)),
        removed=sorted(permission_names(current - set(permissions))),
        by=actor.get_username(),
    )
    return role


@transaction.atomic
def add_role_member(*, actor: User, role: Role, username: str) -> User:
    role = _own_role(actor, role)
    member = User.objects.filter(username=username.strip(), force=role.force).first()
    if member is None:
        raise InvalidInput(f"There is no {role.force.short_name or role.force.name} account called {username!r}.")
    _check_can_confer(actor, role)
    role.members.add(member)
    _record_membership(actor, role, member, "added")
    return member


@transaction.atomic
def remove_role_member(*, actor: User, role: Role, member: User) -> None:
    role = _own_role(actor, role)
    _check_can_confer(actor, role)
    role.members.remove(member)
    _record_membership(actor, role, member, "removed")


def _check_can_confer(actor: User, role: Role) -> None:
    require(actor, MANAGE_ROLES)
    guarded = permission_names(set(role.permissions.all())) & GUARDED_PERMISSIONS
    beyond = sorted(n for n in guarded if not actor.has_perm(n))
    if beyond:
        raise PermissionDenied(
            f"Only someone who holds {', '.join(beyond)} can give or take away the role {role.name}."
        )


def _record_membership(actor: User, role: Role, member: User, change: str) -> None:
    # A staff account is personal data: changing what it may do is an alteration (s.62).
    audit.record(
        operation=audit.Operation.ALTERATION,
        actor=actor,
        record_type="core.user",
        record_ids=[member.pk],
        force=role.force,
        details={"role": role.code, "change": change},
    )
    emit(f"core.role.member_{change}", force=role.force, role=role.code, user_id=member.pk)
