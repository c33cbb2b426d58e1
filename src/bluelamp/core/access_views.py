"""Staff pages for accounts and access: my account, roles (force administrators) and API
tokens (force administrators)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Permission
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from bluelamp.core import access_services, tokens
from bluelamp.core.access import get_scoped, scoped
from bluelamp.core.errors import DomainError
from bluelamp.core.models import ApiToken, Role, User, with_related


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@method_decorator(ratelimit(key="ip", rate="30/m", method="POST", block=True), name="post")
class SignInView(auth_views.LoginView):
    """Django's sign-in, rate limited per address (lock-out per account is django-axes')."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sso_enabled"] = settings.OIDC_ENABLED
        context["sso_provider"] = getattr(settings, "BLUELAMP_OIDC_PROVIDER", "single sign-on")
        return context


def held_permissions(user: User) -> QuerySet[Permission]:
    """Permissions the user holds, for choosing what to grant (never more than one holds)."""
    if user.is_superuser:
        return Permission.objects.select_related("content_type").order_by("content_type__app_label", "codename")
    return (
        Permission.objects.filter(bluelamp_roles__members=user)
        .select_related("content_type")
        .distinct()
        .order_by("content_type__app_label", "codename")
    )


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    roles = with_related(Role.objects.filter(members=user), "force").order_by("name")
    return render(request, "core/account.html", {"account": user, "roles": roles})


@login_required
def roles(request: HttpRequest) -> HttpResponse:
    found = scoped(with_related(Role.objects.all(), "force"), _user(request), permission="core.manage_roles")
    found = found.annotate(member_count=Count("members")).order_by("force__name", "name")
    return render(request, "core/roles.html", {"roles": found})


@login_required
@require_http_methods(["GET", "POST"])
def role(request: HttpRequest, role_id: int) -> HttpResponse:
    actor = _user(request)
    found = get_scoped(with_related(Role.objects.all(), "force"), actor, permission="core.manage_roles", pk=role_id)
    error = ""
    if request.method == "POST":
        try:
            _change_role(request, actor, found)
            return redirect("access:role", role_id=found.pk)
        except DomainError as problem:
            error = problem.message
    grantable = set(held_permissions(actor))
    chosen = set(found.permissions.all())
    all_permissions = sorted(grantable | chosen, key=lambda p: (p.content_type.app_label, p.codename))
    context: dict[str, Any] = {
        "role": found,
        "permissions": [(p, p in chosen, p in grantable) for p in all_permissions],
        "members": found.members.order_by("username"),
        "error": error,
    }
    return render(request, "core/role.html", context, status=422 if error else 200)


def _change_role(request: HttpRequest, actor: User, found: Role) -> None:
    action = request.POST.get("action")
    if action == "permissions":
        ids = [int(i) for i in request.POST.getlist("permission") if i.isdigit()]
        held = set(held_permissions(actor))
        kept_beyond = [p for p in found.permissions.all() if p not in held]  # shown disabled, so not posted
        access_services.set_role_permissions(
            actor=actor, role=found, permissions=[*Permission.objects.filter(pk__in=ids), *kept_beyond]
        )
        messages.success(request, "Permissions saved.")
    elif action == "add_member":
        member = access_services.add_role_member(actor=actor, role=found, username=request.POST.get("username", ""))
        messages.success(request, f"{member.get_username()} now has the role {found.name}.")
    elif action == "remove_member":
        member = found.members.get(pk=int(request.POST.get("member", "0") or 0))
        access_services.remove_role_member(actor=actor, role=found, member=member)
        messages.success(request, f"{member.get_username()} no longer has the role {found.name}.")


class TokenForm(forms.Form):
    name = forms.CharField(max_length=120, label="Name", help_text="Which system uses it, e.g. ANPR feed (north)")
    permissions = forms.ModelMultipleChoiceField(queryset=Permission.objects.none(), required=True)
    expires_on = forms.DateField(required=False, label="Expires on (optional)", help_text="For example, 31/3/2027")

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["permissions"].queryset = held_permissions(actor)  # type: ignore[attr-defined]


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    actor = _user(request)
    listed = scoped(
        with_related(ApiToken.objects.all(), "force", "created_by").prefetch_related("permissions"),
        actor,
        permission="core.manage_api_tokens",
    )
    form = TokenForm(request.POST or None, actor=actor)
    new_secret = ""
    if request.method == "POST" and form.is_valid():
        expires = form.cleaned_data["expires_on"]
        made = tokens.create_api_token(
            actor=actor,
            force=actor.force,  # type: ignore[arg-type]
            name=form.cleaned_data["name"],
            permissions=list(form.cleaned_data["permissions"]),
            expires_at=timezone.make_aware(datetime.combine(expires, time.max)) if expires else None,
        )
        new_secret, form = made.secret, TokenForm(actor=actor)
    context = {"tokens": listed, "form": form, "new_secret": new_secret, "now": timezone.now()}
    return render(request, "core/tokens.html", context, status=422 if form.errors else 200)


@login_required
@require_POST
def revoke_api_token(request: HttpRequest, token_id: int) -> HttpResponse:
    actor = _user(request)
    token = get_scoped(ApiToken.objects.all(), actor, permission="core.manage_api_tokens", pk=token_id)
    tokens.revoke_api_token(actor=actor, token=token)
    messages.success(request, f"The token {token.name} is revoked: it no longer works.")
    return redirect("access:tokens")
