"""Who may see what: the one place where every read is scoped by the actor's force and
permissions. Staff pages, API endpoints and selectors all go through :func:`scoped`.

* Without the permission the answer is 403 (:class:`PermissionDenied`).
* A record of another force is simply not there: 404 (:class:`NotFound`), never 403, so that
  a user cannot even learn that it exists.
* An actor holding ``core.read_across_forces`` reads every force's records, but only for the
  permissions their roles give them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet

from bluelamp.core.errors import NotFound, PermissionDenied

ACROSS_FORCES = "core.read_across_forces"

M = TypeVar("M", bound=Model)


class Actor(Protocol):
    """Anyone who acts: a signed-in member of staff or an API client."""

    @property
    def force_id(self) -> int | None: ...

    def has_perm(self, perm: str, obj: Any = None) -> bool: ...


@dataclass(frozen=True)
class ClientActor:
    """An API client authenticated by token: its force and the permissions given to it."""

    token_id: int
    name: str
    force_id: int | None
    permissions: frozenset[str] = field(default_factory=frozenset)
    is_authenticated: bool = True

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return perm in self.permissions

    def __str__(self) -> str:
        return f"API client {self.name}"


class RoleBackend(ModelBackend):
    """Django's model backend, with permissions coming from the user's roles (rules as data)
    instead of Django groups."""

    def _get_group_permissions(self, user_obj: Any) -> QuerySet[Permission]:
        return Permission.objects.filter(bluelamp_roles__members=user_obj)


def request_actor(request: Any) -> Actor:
    """Who an API request acts for: the API client (token) if there is one, else the signed-in
    member of staff."""
    auth = getattr(request, "auth", None)
    return auth if auth is not None else request.user  # type: ignore[no-any-return]


def require(actor: Actor, permission: str) -> None:
    if not actor.has_perm(permission):
        raise PermissionDenied("Your role does not allow this. Ask your force administrator if you need it.")


def reads_across_forces(actor: Actor) -> bool:
    return actor.has_perm(ACROSS_FORCES)


def scoped(queryset: QuerySet[M], actor: Actor, *, permission: str, force_field: str = "force") -> QuerySet[M]:
    """The records of ``queryset`` that ``actor`` may see with ``permission``."""
    require(actor, permission)
    if reads_across_forces(actor):
        return queryset
    if actor.force_id is None:
        return queryset.none()
    return queryset.filter(**{force_field: actor.force_id})


def get_scoped(queryset: QuerySet[M], actor: Actor, *, permission: str, force_field: str = "force", **lookup: Any) -> M:
    """One record the actor may see, or :class:`NotFound` (also for another force's record)."""
    try:
        return scoped(queryset, actor, permission=permission, force_field=force_field).get(**lookup)
    except ObjectDoesNotExist:
        raise NotFound(f"No {queryset.model._meta.verbose_name} matches that reference.") from None
