"""Single sign-on by OpenID Connect (mozilla-django-oidc), e.g. Microsoft Entra ID.

A person signing in by SSO is matched to an existing staff account by e-mail address; a new
account is made in the force named by BLUELAMP_OIDC_FORCE, with no roles until a force
administrator gives it some (signing in proves who someone is, not what they may do).

An e-mail address is only trusted when the provider says it verified it (``email_verified``)
and, when BLUELAMP_OIDC_TENANTS is set, the person belongs to one of those tenants (``tid``):
otherwise anyone able to put a colleague's address on an account elsewhere could sign in as
that colleague. Sign-in is refused, not given a new account, when either is missing."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from bluelamp.core.models import Force, User

logger = logging.getLogger(__name__)


def allowed_tenants() -> set[str]:
    return {t.strip() for t in str(getattr(settings, "BLUELAMP_OIDC_TENANTS", "")).split(",") if t.strip()}


class StaffOIDCBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    def verify_claims(self, claims: dict[str, Any]) -> bool:
        if not super().verify_claims(claims):
            return False
        if claims.get("email_verified") is not True:
            logger.warning("single sign-on refused: the provider did not verify the e-mail address")
            return False
        tenants = allowed_tenants()
        if tenants and str(claims.get("tid", "")) not in tenants:
            logger.warning("single sign-on refused: tenant %r is not allowed", claims.get("tid"))
            return False
        return True

    def create_user(self, claims: dict[str, Any]) -> User:
        force = Force.objects.filter(code=getattr(settings, "BLUELAMP_OIDC_FORCE", "")).first()
        user: User = User.objects.create_user(
            username=self.get_username(claims),
            email=claims.get("email", ""),
            first_name=claims.get("given_name", ""),
            last_name=claims.get("family_name", ""),
            force=force,
        )
        return user

    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        user.first_name = claims.get("given_name", user.first_name)
        user.last_name = claims.get("family_name", user.last_name)
        user.save(update_fields=["first_name", "last_name"])
        return user

    def get_username(self, claims: dict[str, Any]) -> str:
        return str(claims.get("preferred_username") or claims["email"]).lower()[:150]


def _require_sso(request: HttpRequest) -> None:
    if not settings.OIDC_ENABLED:
        raise Http404("Single sign-on is not configured.")


class _OnlyWhenConfigured:
    """The library's views read the provider's settings when made: skip that without SSO."""

    def __init__(self, **kwargs: Any) -> None:
        if settings.OIDC_ENABLED:
            super().__init__(**kwargs)
        else:
            View.__init__(self, **kwargs)  # type: ignore[arg-type]


class SignOnView(_OnlyWhenConfigured, OIDCAuthenticationRequestView):  # type: ignore[misc]
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        _require_sso(request)
        response: HttpResponse = super().dispatch(request, *args, **kwargs)
        return response


class SignOnCallbackView(_OnlyWhenConfigured, OIDCAuthenticationCallbackView):  # type: ignore[misc]
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        _require_sso(request)
        response: HttpResponse = super().dispatch(request, *args, **kwargs)
        return response
