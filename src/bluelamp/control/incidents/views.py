"""Screens for incidents: the queue, one incident, and the changes made on it (log entries,
THRIVE assessments, status, closing). Every change carries the version the operator saw."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from bluelamp.control import rules
from bluelamp.control.contacts import selectors as contact_selectors
from bluelamp.control.forms import CloseForm, LogEntryForm, QueueFilterForm, ThriveForm, TransitionForm
from bluelamp.control.incidents import grading
from bluelamp.control.incidents import log as incident_log
from bluelamp.control.incidents import selectors as incident_selectors
from bluelamp.control.incidents import services as incident_services
from bluelamp.control.models import Incident
from bluelamp.control.web import STALE, category_name, history_near, position_of, staff_user, whole_minutes
from bluelamp.core.access import require
from bluelamp.core.errors import Conflict, InvalidInput
from bluelamp.core.models import Bcu, User

QUEUE_LIMIT = 200


# The queue ----------------------------------------------------------------------------------


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """Open incidents, unresourced first, then oldest. ``?fragment=rows`` gives only the table
    (the live script swaps it in)."""
    actor = staff_user(request)
    require(actor, incident_selectors.VIEW_INCIDENT)
    bcus = [(b.code, b.name) for b in Bcu.objects.filter(force_id=actor.force_id or 0).order_by("name")]
    form = QueueFilterForm(request.GET or None, bcus=bcus)
    filters = form.cleaned_data if form.is_valid() else {}
    found = incident_selectors.incidents(
        actor=actor,
        bcu_code=filters.get("bcu", ""),
        grade=filters.get("grade", ""),
        status=filters.get("status", ""),
    )
    now = timezone.now()
    targets: dict[tuple[str, dt.date], Any] = {}
    rows = []
    for item in found[:QUEUE_LIMIT]:
        key = (item.grade, item.cad_day)
        if item.grade and key not in targets:
            targets[key] = incident_selectors.target_for(item.grade, item.created_at)
        measured = incident_selectors.response_time(item, now=now, target=targets.get(key))
        left = whole_minutes(measured.time_left) if measured.time_left is not None else None
        rows.append(
            {
                "incident": item,
                "category": category_name(item.opening_category),
                "age": whole_minutes(now - item.created_at),
                "left": left,
                "over": -left if left is not None and left < 0 else None,
                "measured": measured,
            }
        )
    context = {
        "form": form,
        "rows": rows,
        "total": found.count(),
        "limit": QUEUE_LIMIT,
        "now": now,
        "query": request.GET.urlencode(),
        "screen_bcu": filters.get("bcu", ""),  # urgent assistance for this BCU only
    }
    if request.GET.get("fragment") == "rows":
        return render(request, "control/_queue_table.html", context)
    return render(request, "control/queue.html", context)


# An incident --------------------------------------------------------------------------------


def _incident_page(
    request: HttpRequest,
    actor: User,
    incident: Incident,
    *,
    bound: dict[str, django_forms.Form] | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    position = position_of(request)
    next_statuses = [
        (value, Incident.Status(value).label)
        for value in Incident.Status.values
        if value in rules.NEXT_STATUSES[incident.status] and value != Incident.Status.CLOSED
    ]
    measured = incident_selectors.response_time(incident)
    time_left = whole_minutes(measured.time_left) if measured.time_left is not None else None
    contact_selectors.record_callers_shown(actor=actor, incident=incident, via="incident page")
    context = {
        "incident": incident,
        "measured": measured,
        "time_left": time_left,
        "overdue": -time_left if time_left is not None and time_left < 0 else None,
        "attended_minutes": whole_minutes(measured.attended_after) if measured.attended_after is not None else None,
        "opening_category": category_name(incident.opening_category),
        "closing_category": category_name(incident.closing_category),
        "assessments": list(incident_selectors.assessments(incident).order_by("-number")),
        "log": list(incident_selectors.log(incident)),
        "contacts": list(incident.contacts.order_by("received_at")),
        "show_callers": actor.has_perm(
            contact_selectors.VIEW_CONTACT
        ),  # who called is the contact's, not the incident's
        "next_statuses": next_statuses,
        "can_close": Incident.Status.CLOSED in rules.NEXT_STATUSES[incident.status],
        "log_form": bound.get("log") or LogEntryForm(prefix="log", initial={"position": position}),
        "thrive_form": bound.get("thrive") or ThriveForm(prefix="thrive"),
        "close_form": bound.get("close") or CloseForm(prefix="close"),
        "errored": next(iter(bound.values()), None),
        "problem": problem,
        "history": history_near(actor, incident.lat, incident.lon),
        "position": position,
    }
    return render(request, "control/incident.html", context, status=status)


@login_required
@require_GET
def incident(request: HttpRequest, incident_id: int) -> HttpResponse:
    actor = staff_user(request)
    found = incident_selectors.incident(actor=actor, incident_id=incident_id)
    if request.GET.get("fragment") == "log":
        contact_selectors.record_callers_shown(actor=actor, incident=found, via="incident log")
        return render(request, "control/_log.html", {"incident": found, "log": list(incident_selectors.log(found))})
    return _incident_page(request, actor, found)


Act = Callable[[User, Incident, dict[str, Any], str], Any]


def _change(request: HttpRequest, incident_id: int, name: str, form: django_forms.Form, act: Act) -> HttpResponse:
    """Run one change to an incident from a posted form: back to the incident when it worked;
    the page with the form's errors, or the latest incident with the conflict, when not."""
    actor = staff_user(request)
    found = incident_selectors.incident(actor=actor, incident_id=incident_id)
    if form.is_valid():
        expected = form.cleaned_data.get("expected_version")
        position = position_of(request, form.cleaned_data.get("position"))
        try:
            act(actor, found, form.cleaned_data, position)
        except Conflict as error:
            latest = incident_selectors.incident(actor=actor, incident_id=incident_id)
            stale = expected is not None and latest.version != expected
            return _incident_page(
                request, actor, latest, bound={name: form}, problem=STALE if stale else error.message, status=409
            )
        except InvalidInput as error:
            form.add_error(None, error.message)
        else:
            return redirect(reverse("control:incident", kwargs={"incident_id": found.pk}) + f"#{name}")
    return _incident_page(request, actor, found, bound={name: form}, status=422)


@login_required
@require_POST
def add_log(request: HttpRequest, incident_id: int) -> HttpResponse:
    def act(actor: User, incident: Incident, data: dict[str, Any], position: str) -> None:
        incident_log.add_log_entry(actor=actor, incident=incident, text=data["text"], position=position)

    return _change(request, incident_id, "log", LogEntryForm(request.POST, prefix="log"), act)


@login_required
@require_POST
def assess(request: HttpRequest, incident_id: int) -> HttpResponse:
    form = ThriveForm(request.POST, prefix="thrive")

    def act(actor: User, incident: Incident, data: dict[str, Any], position: str) -> None:
        grading.assess_incident(
            actor=actor,
            incident=incident,
            levels=form.levels(),
            notes=form.notes(),
            grade=data["grade"] or None,
            override_reason=data["override_reason"],
            expected_version=data["expected_version"],
            position=position,
        )

    return _change(request, incident_id, "thrive", form, act)


@login_required
@require_POST
def transition(request: HttpRequest, incident_id: int) -> HttpResponse:
    def act(actor: User, incident: Incident, data: dict[str, Any], position: str) -> None:
        incident_services.transition_incident(
            actor=actor, incident=incident, to=data["to"], expected_version=data["expected_version"], position=position
        )

    return _change(request, incident_id, "status", TransitionForm(request.POST), act)


@login_required
@require_POST
def close(request: HttpRequest, incident_id: int) -> HttpResponse:
    def act(actor: User, incident: Incident, data: dict[str, Any], position: str) -> None:
        incident_services.transition_incident(
            actor=actor,
            incident=incident,
            to=Incident.Status.CLOSED,
            expected_version=data["expected_version"],
            closing_category=data["closing_category"],
            closing_qualifiers=data["closing_qualifiers"],
            closing_result=data["closing_result"],
            position=position,
        )

    return _change(request, incident_id, "close", CloseForm(request.POST, prefix="close"), act)
