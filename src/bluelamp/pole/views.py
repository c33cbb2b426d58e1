"""POLE pages: the history at the point of contact, and a person's details (after saying why).

Permissions and force scoping come from the selectors (core access): a missing permission
raises 403, another force's person 404, and core's middleware turns both into pages."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from bluelamp.core import justification
from bluelamp.core.access import require
from bluelamp.core.models import User
from bluelamp.pole import selectors
from bluelamp.pole.forms import REASONS, PlaceForm


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    """The history panel for a place given as ?lat=&lon= (the call-taking screen includes the
    same panel)."""
    actor = _actor(request)
    require(actor, selectors.VIEW_HISTORY)
    form = PlaceForm(request.GET or None)
    found = None
    if form.is_valid():
        found = selectors.history_at_point(actor=actor, lat=form.cleaned_data["lat"], lon=form.cleaned_data["lon"])
    return render(request, "pole/history.html", {"form": form, "history": found})


@login_required
@require_http_methods(["GET", "POST"])
def person(request: HttpRequest, person_id: int) -> HttpResponse:
    """Ask why first; show the details only with a justification, and log every showing."""
    actor = _actor(request)
    selectors.check_person(actor=actor, person_id=person_id)  # 403/404 before asking anything
    grant = justification.ask_why_first(
        request,
        record=f"pole.person:{person_id}",
        reasons=REASONS,
        ask_template="pole/justification.html",
        context={"person_id": person_id},
    )
    if isinstance(grant, HttpResponse):
        return grant
    record = selectors.consult_person(
        actor=actor,
        person_id=person_id,
        justification=grant["justification"],
        details={"reason": grant["reason"], "via": "staff page"},
    )
    context = {
        "record": record,
        "person": record.person,
        "justification": grant["justification"],
        "grant_expires": dt.datetime.fromisoformat(grant["expires"]),
    }
    return render(request, "pole/person.html", context)
