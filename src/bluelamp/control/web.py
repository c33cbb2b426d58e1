"""What every control-room screen takes from the request: the signed-in user, the operator's
position (remembered for the session), where to go back to, and small display helpers."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from bluelamp.control import rules
from bluelamp.core.models import User
from bluelamp.pole import selectors as pole_selectors

POSITION = "control.position"  # the operator's position, remembered for the session
VIEW_HISTORY = "pole.view_history"
STALE = "Someone else changed this incident while you were looking at it. Here is the latest: check it and try again."


def staff_user(request: HttpRequest) -> User:
    return cast(User, request.user)


def position_of(request: HttpRequest, typed: str | None = None) -> str:
    if typed is not None and typed.strip():
        request.session[POSITION] = typed.strip()[:60]
    return str(request.session.get(POSITION, ""))


def history_near(actor: User, lat: float | None, lon: float | None) -> Any:
    if lat is None or lon is None or not actor.has_perm(VIEW_HISTORY):
        return None
    return pole_selectors.history_at_point(actor=actor, lat=lat, lon=lon)


def whole_minutes(delta: dt.timedelta) -> int:
    """Whole minutes, rounded towards zero (so "-3" means three minutes over)."""
    return int(delta.total_seconds() / 60)


def category_name(code: str) -> str:
    found = rules.nsir_categories().get(code)
    return found.name if found else code


def map_tiles() -> dict[str, str]:
    """The street-map tiles every map screen draws under its own layers (none unless configured)."""
    return {"tile_url": settings.BLUELAMP_MAP_TILE_URL, "tile_attribution": settings.BLUELAMP_MAP_TILE_ATTRIBUTION}


def back_to(request: HttpRequest, fallback: str) -> str:
    """Where a screen's form goes back to: its own page (with its filters), never elsewhere."""
    wanted = request.POST.get("next", "")
    if (
        wanted
        and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()})
        and wanted.startswith("/")
    ):
        return wanted
    return fallback


def without_fragment(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("fragment", None)
    return query.urlencode()
