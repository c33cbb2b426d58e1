"""Writes for roles: a force administrator changes their own force's roles only.

* Nobody confers a permission they do not hold themselves: adding someone to a role, or taking
  them out of it, needs every permission the role carries (no escalation through a role).
* Nobody changes their own membership: another administrator has to (separation of duties).
* Every change of membership or of a role's permissions is in the audit trail."""

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
    audit.record(
        operation=audit.Operation.ALTERATION,
        actor=actor,
        record_type="core.role",
        record_ids=[role.pk],
        force=role.force,
        details={
            "added": sorted(permission_names(set(permissions) - current)),
            "removed": sorted(permission_names(current - set(permissions))),
        },
    )
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
    _check_can_confer(actor, role, member)
    role.members.add(member)
    _record_membership(actor, role, member, "added")
    return member


@transaction.atomic
def remove_role_member(*, actor: User, role: Role, member: User) -> None:
    role = _own_role(actor, role)
    _check_can_confer(actor, role, member)
    role.members.remove(member)
    _record_membership(actor, role, member, "removed")


def _check_can_confer(actor: User, role: Role, member: User) -> None:
    require(actor, MANAGE_ROLES)
    if member.pk == actor.pk:
        raise PermissionDenied(
            f"You cannot change your own roles. Ask another administrator to change your membership of {role.name}."
        )
    beyond = sorted(n for n in permission_names(set(role.permissions.all())) if not actor.has_perm(n))
    if beyond:
        raise PermissionDenied(
            f"Only someone who holds every permission of the role {role.name} can give or take it away; "
            f"you do not hold {', '.join(beyond)}."
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
