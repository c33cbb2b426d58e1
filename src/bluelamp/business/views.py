"""Workforce record pages: search people, consult one person's record (after saying why), the
authorisations about to expire, and the import of the HR system's extract.

Permissions and force scoping come from the selectors and services (core access): a missing
permission raises 403, another force's person 404, and core's middleware turns both into pages."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from bluelamp.business import selectors, services
from bluelamp.business.forms import REASONS, PeopleSearchForm, WorkforceFileForm
from bluelamp.business.workforce_csv import COLUMNS, WorkforceImportRejected
from bluelamp.core import justification
from bluelamp.core.access import reads_across_forces, require
from bluelamp.core.errors import PermissionDenied
from bluelamp.core.models import Force, User
from bluelamp.core.pagination import page_links

PAGE_SIZE = 25
ERRORS_IN_SUMMARY = 10


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
@require_GET
def people(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = PeopleSearchForm(request.GET or None, actor=actor)
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {"search": data["q"], "unit_id": data["unit"], "bcu_id": data["bcu"], "skill_code": data["skill"]}
    found = selectors.people(actor=actor, **filters)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    selectors.record_people_shown(actor=actor, people=page.object_list, via="people search page")
    context = {
        "form": form,
        "page": page,
        "pager": page_links(request, page),
        "show_force": reads_across_forces(actor),
        "nav": "people",
    }
    return render(request, "business/people.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def person(request: HttpRequest, person_id: int) -> HttpResponse:
    """Ask why first; show the record only with a justification, and log every showing."""
    actor = _actor(request)
    selectors.check_person(actor=actor, person_id=person_id)  # 403/404 before asking anything
    grant = justification.ask_why_first(
        request,
        record=f"business.person:{person_id}",
        reasons=REASONS,
        ask_template="business/justification.html",
        context={"person_id": person_id, "nav": "people"},
    )
    if isinstance(grant, HttpResponse):
        return grant
    found = selectors.consult_person(
        actor=actor,
        person_id=person_id,
        justification=grant["justification"],
        details={"reason": grant["reason"], "via": "staff page"},
    )
    context = {
        "person": found,
        "authorisations": selectors.authorisation_lines(found),
        "direct_reports": found.direct_reports.order_by("last_name", "first_name"),
        "justification": grant["justification"],
        "grant_expires": dt.datetime.fromisoformat(grant["expires"]),
        "nav": "people",
    }
    return render(request, "business/person.html", context)


@login_required
@require_GET
def expiring(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    found = list(selectors.expiring_soon(actor=_actor(request), today=today))
    selectors.record_people_shown(actor=_actor(request), people=[a.person_id for a in found], via="expiring page")
    lines = [selectors.AuthorisationLine(a, selectors.expiry_status(a, today)) for a in found]
    context = {"lines": lines, "days": selectors.EXPIRY_WARNING.days, "nav": "expiring"}
    return render(request, "business/expiring.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def import_workforce(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, "business.import_workforce")
    context: dict[str, Any] = {"columns": COLUMNS, "nav": "import", "problems": []}
    form = WorkforceFileForm()
    if request.method == "POST":
        form = WorkforceFileForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                context["result"] = services.import_workforce_csv(
                    actor=actor, force=_own_force(actor), file=upload, file_name=upload.name or ""
                )
                form = WorkforceFileForm()
            except WorkforceImportRejected as rejected:
                context["problems"] = rejected.errors
                context["rejection"] = rejected.message
    context["form"] = form
    context["summary_problems"] = context["problems"][:ERRORS_IN_SUMMARY]
    context["more_problems"] = max(0, len(context["problems"]) - ERRORS_IN_SUMMARY)
    return render(request, "business/import.html", context)


def _own_force(actor: User) -> Force:
    if actor.force is None:
        raise PermissionDenied("Your account belongs to no force, so there is no workforce record to import into.")
    return actor.force
