"""Staff sessions: when they end, a keep-alive for screens in use, and "sign out everywhere".

* Only what a person does counts as activity: a page they open or something they send. What
  a screen fetches or streams by itself (a refresh of the queue, the live feed, the question
  "how long is left?") does not, so an unattended screen is signed out like any other.
* The idle limit is set per role as data (data/session_limits.json): a watched control-room
  screen may have a longer one than a desk, because signing out a dispatcher who is watching
  the queue would be its own hazard. A person gets the longest limit of their roles.
* However active, no session outlives one shift from sign-in (BLUELAMP_SESSION_MAX_AGE): the
  server refuses it then, and the session itself expires then."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
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
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from bluelamp.core.errors import InvalidInput
from bluelamp.core.events import emit
from bluelamp.core.models import Role, User

LAST_ACTIVITY = "bluelamp_last_activity"
SIGNED_IN_AT = "bluelamp_signed_in_at"
IDLE_SECONDS = "bluelamp_idle_seconds"  # this person's idle limit, from their roles at sign-in
# Asking how long is left, and the live stream, are never activity whatever the browser says.
PASSIVE_PATHS = {"/session/status", "/control/live"}


@dataclass(frozen=True)
class IdleLimits:
    effective_from: dt.date
    minutes_by_role: dict[str, float]


@cache
def idle_limits(path: Path) -> tuple[IdleLimits, ...]:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    found = []
    for number, item in enumerate(raw.get("limits", []), start=1):
        try:
            limits = IdleLimits(
                dt.date.fromisoformat(item["effective_from"]),
                {str(code): float(minutes) for code, minutes in item["idle_minutes_by_role"].items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise InvalidInput(
                f"{path}, entry {number}: needs effective_from (YYYY-MM-DD) and idle_minutes_by_role "
                f'({{"role code": minutes}}) ({error}).'
            ) from None
        if any(minutes <= 0 for minutes in limits.minutes_by_role.values()):
            raise InvalidInput(f"{path}, entry {number}: an idle limit must be more than 0 minutes.")
        found.append(limits)
    if not found:
        raise InvalidInput(f"{path} has no limits.")
    return tuple(sorted(found, key=lambda limits: limits.effective_from))


def idle_limit_for(user: User) -> dt.timedelta:
    """How long ``user`` may do nothing: the longest limit of their roles listed in the data
    file in force today, else BLUELAMP_IDLE_TIMEOUT."""
    every = idle_limits(Path(settings.BLUELAMP_SESSION_LIMITS_FILE))
    today = timezone.localdate()
    applicable = [limits for limits in every if limits.effective_from <= today] or [every[0]]
    by_role = applicable[-1].minutes_by_role
    codes = set(Role.objects.filter(members=user).values_list("code", flat=True))
    listed = [by_role[code] for code in codes if code in by_role]
    default: dt.timedelta = settings.BLUELAMP_IDLE_TIMEOUT
    return dt.timedelta(minutes=max(listed)) if listed else default


def is_background(request: HttpRequest) -> bool:
    """A request the screen made by itself rather than one the person made. Browsers say how a
    request was made (Fetch Metadata): a page opened is a navigation; a fetch() or a stream is
    not. Anything sent (a form, a keep-alive after a key press) is the person's."""
    if request.path in PASSIVE_PATHS:
        return True
    if request.method not in {"GET", "HEAD"}:
        return False
    mode = request.headers.get("Sec-Fetch-Mode")
    return mode is not None and mode != "navigate"


def _begin(request: HttpRequest) -> None:
    """The clocks of a session just signed in."""
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_ACTIVITY] = now
    request.session[IDLE_SECONDS] = idle_limit_for(cast(User, request.user)).total_seconds()
    # An absolute expiry: Django then never slides it forward when the session is saved.
    request.session.set_expiry(timezone.now() + settings.BLUELAMP_SESSION_MAX_AGE)


def seconds_left(request: HttpRequest) -> float:
    now = time.time()
    idle = float(request.session.get(IDLE_SECONDS, settings.BLUELAMP_IDLE_TIMEOUT.total_seconds()))
    idle_left = idle - (now - request.session.get(LAST_ACTIVITY, now))
    shift_left = settings.BLUELAMP_SESSION_MAX_AGE.total_seconds() - (now - request.session.get(SIGNED_IN_AT, now))
    return float(min(idle_left, shift_left))


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)} hours"
    return f"{int(seconds // 60)} minutes" if seconds >= 60 else f"{int(seconds)} seconds"


def _why_ended(request: HttpRequest) -> str:
    """Why this session is over, or '' while it is not."""
    now = time.time()
    shift = settings.BLUELAMP_SESSION_MAX_AGE.total_seconds()
    if now - request.session[SIGNED_IN_AT] >= shift:
        return (
            f"You were signed out because you had been signed in for {_duration(shift)}, a whole shift. Sign in again."
        )
    idle = float(request.session[IDLE_SECONDS])
    if now - request.session[LAST_ACTIVITY] >= idle:
        return f"You were signed out because you did nothing for {_duration(idle)}."
    return ""


class IdleTimeoutMiddleware:
    """Signs out a member of staff who has done nothing for their idle limit, or who signed in
    longer than a shift ago."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            if SIGNED_IN_AT not in request.session or IDLE_SECONDS not in request.session:
                _begin(request)  # signed in before these clocks existed: they start now
            why = _why_ended(request)
            if why:
                logout(request)
                messages.info(request, why)
                if request.path.startswith("/api/") or is_background(request):
                    return JsonResponse({"signed_in": False, "seconds_left": 0}, status=401)
                return redirect(f"{reverse('login')}?next={request.path}")
            if not is_background(request):
                request.session[LAST_ACTIVITY] = time.time()
        response = self.get_response(request)
        if request.user.is_authenticated and SIGNED_IN_AT not in request.session:
            _begin(request)  # this request signed in
        return response


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
