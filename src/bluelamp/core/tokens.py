"""API tokens for machine clients (ANPR and vehicle-location feeds, partner systems).

A token is ``bl_<prefix>_<secret>``. Only its SHA-256 is stored, so a database leak does not
leak working tokens; the full token is shown once, when it is made.

A token acts on its maker's authority: it stops working when its maker's account is
deactivated, and loses any permission its maker no longer holds (a token is never a way to keep
a power its maker has lost)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import Permission
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from bluelamp.core.access import ClientActor, require
from bluelamp.core.errors import InvalidInput, PermissionDenied
from bluelamp.core.events import emit
from bluelamp.core.models import ApiToken, Force, User

TOKEN_PREFIX = "bl"  # noqa: S105 - a label, not a secret
# Recording every use would write on every request; a minute's precision is enough to see
# whether a token is still in use.
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def permission_names(permissions: list[Permission] | set[Permission]) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in permissions}


@transaction.atomic
def create_api_token(
    *,
    actor: User,
    force: Force,
    name: str,
    permissions: list[Permission],
    expires_at: datetime | None = None,
) -> NewToken:
    """Make a token for a machine client of ``force`` with some of the actor's own permissions."""
    require(actor, "core.manage_api_tokens")
    if actor.force_id != force.pk and not actor.has_perm("core.read_across_forces"):
        raise PermissionDenied("You can only make API tokens for your own force.")
    if not name.strip():
        raise InvalidInput("Give the token a name that says which system uses it, e.g. 'ANPR feed (north)'.")
    beyond = sorted(n for n in permission_names(permissions) if not actor.has_perm(n))
    if beyond:
        raise PermissionDenied(f"You cannot give a token permissions you do not hold yourself: {', '.join(beyond)}.")
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput("The expiry date must be in the future.")
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        force=force,
        name=name.strip(),
        prefix=prefix,
        secret_hash=_hash(secret),
        created_by=actor,
        expires_at=expires_at,
    )
    token.permissions.set(permissions)
    emit("core.api_token.created", force=force, token_id=token.pk, name=token.name, by=actor.get_username())
    return NewToken(token=token, secret=secret)


@transaction.atomic
def revoke_api_token(*, actor: User, token: ApiToken) -> ApiToken:
    require(actor, "core.manage_api_tokens")
    if actor.force_id != token.force_id and not actor.has_perm("core.read_across_forces"):
        raise PermissionDenied("You can only revoke your own force's API tokens.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        emit("core.api_token.revoked", force=token.force, token_id=token.pk, by=actor.get_username())
    return token


def authenticate_token(secret: str) -> ClientActor | None:
    """The client a token belongs to, or None if it is unknown, revoked, expired or its maker's
    account is deactivated. Checked against the database on every request, so a revocation (or
    a change to the maker's roles) takes effect at once."""
    now = timezone.now()
    token = ApiToken.objects.filter(secret_hash=_hash(secret), revoked_at__isnull=True).first()
    if token is None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    maker = User.objects.filter(pk=token.created_by_id, is_active=True).first()
    if maker is None:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    still_held = frozenset(name for name in _granted(token) if maker.has_perm(name))
    return ClientActor(token_id=token.pk, name=token.name, force_id=token.force_id, permissions=still_held)


# A token's permissions are set when it is made and never change (a different grant is a new
# token), so each process remembers them; revocation and expiry are still checked every time.
# Keyed by the secret's hash, which no other token can have (ids can be reused in SQLite).
_granted_by_token: dict[str, frozenset[str]] = {}


def _granted(token: ApiToken) -> frozenset[str]:
    found = _granted_by_token.get(token.secret_hash)
    if found is None:
        pairs = token.permissions.values_list("content_type__app_label", "codename")
        found = _granted_by_token[token.secret_hash] = frozenset(f"{app}.{codename}" for app, codename in pairs)
    return found


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer bl_…`` for machine clients."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> ClientActor | None:
        client = authenticate_token(token)
        if client is None:
            # A client that sends a bad token is refused outright, even if the same browser also
            # has a signed-in session: a revoked token must never quietly keep working.
            raise AuthenticationError(
                401, "This API token is unknown, revoked or expired, or the account that made it is deactivated."
            )
        return client
