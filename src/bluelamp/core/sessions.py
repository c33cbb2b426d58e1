"""Staff sessions: sign-out after a period without activity (with a warning first), a
keep-alive for screens in use, and "sign out everywhere"."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from bluelamp.core.events import emit
from bluelamp.core.models import User

LAST_ACTIVITY = "bluelamp_last_activity"
# Asking how long is left must not count as activity, or an open tab would never time out.
PASSIVE_PATHS = {"/session/status", "/control/live"}


def seconds_left(request: HttpRequest) -> float:
    last = request.session.get(LAST_ACTIVITY, time.time())
    return float(settings.BLUELAMP_IDLE_TIMEOUT.total_seconds() - (time.time() - last))


class IdleTimeoutMiddleware:
    """Signs out a member of staff who has done nothing for BLUELAMP_IDLE_TIMEOUT."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            if LAST_ACTIVITY in request.session and seconds_left(request) <= 0:
                minutes = int(settings.BLUELAMP_IDLE_TIMEOUT.total_seconds() // 60)
                logout(request)
                messages.info(request, f"You were signed out because you did nothing for {minutes} minutes.")
                if request.path.startswith("/api/") or request.path in PASSIVE_PATHS:
                    return JsonResponse({"signed_in": False, "seconds_left": 0}, status=401)
                return redirect(f"{reverse('login')}?next={request.path}")
            if request.path not in PASSIVE_PATHS:
                request.session[LAST_ACTIVITY] = time.time()
        return self.get_response(request)


@require_GET
def session_status(request: HttpRequest) -> JsonResponse:
    """How long this session has left, for the warning shown before sign-out."""
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False, "seconds_left": 0}, status=401)
    return JsonResponse({"signed_in": True, "seconds_left": max(0, int(seconds_left(request)))})


@require_POST
@login_required
def keep_alive(request: HttpRequest) -> JsonResponse:
    """The person is using the screen (the middleware has just recorded the activity)."""
    return JsonResponse({"signed_in": True, "seconds_left": int(seconds_left(request))})


@transaction.atomic
def sign_out_everywhere(*, user: User) -> None:
    """End every session of ``user`` on every device: sessions are signed with a hash that
    includes the generation, so bumping it invalidates them all."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    emit("core.user.signed_out_everywhere", force=user.force, user_id=user.pk)


@require_POST
@login_required
def sign_out_everywhere_view(request: HttpRequest) -> HttpResponse:
    sign_out_everywhere(user=cast(User, request.user))
    logout(request)
    messages.success(request, "You have been signed out on every device.")
    return redirect("login")
