"""Screens for units: the resource board, a unit's status, and urgent assistance with its
acknowledgement."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from bluelamp.control import dispatch_link, screens
from bluelamp.control.forms import BoardFilterForm, UnitStatusForm
from bluelamp.control.models import UnitStatus, UrgentAssistance
from bluelamp.control.units import selectors as unit_selectors
from bluelamp.control.units import services as unit_services
from bluelamp.control.units import urgent as urgent_services
from bluelamp.control.web import back_to, position_of, staff_user, without_fragment
from bluelamp.core import selectors as core_selectors
from bluelamp.core.access import require
from bluelamp.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bluelamp.core.models import User


def _board_context(request: HttpRequest, actor: User) -> dict[str, Any]:
    form = BoardFilterForm(request.GET or None, bcus=screens.bcu_choices(actor), unit_types=screens.unit_type_choices())
    filters = form.cleaned_data if form.is_valid() else {}
    groups = screens.board(
        actor=actor,
        bcu_code=filters.get("bcu", ""),
        unit_type=filters.get("unit_type", ""),
        base_type=filters.get("base_type", ""),
    )
    statuses = list(UnitStatus.objects.filter(force_id=actor.force_id or 0).order_by("position", "code"))
    rows = [row for group in groups for row in group.rows]
    unit_selectors.record_crews_shown(
        actor=actor,
        people=[member.person_id for row in rows for member in row.crew],
        units=[row.unit.pk for row in rows if row.crew],
        via="resource board",
    )
    return {
        "form": form,
        "groups": groups,
        "total": sum(len(g.rows) for g in groups),
        "statuses": statuses,
        "can_set": actor.has_perm(unit_services.SET_STATUS),
        "now": timezone.now(),
        "query": without_fragment(request),
        "screen_bcu": filters.get("bcu", ""),
        "nav": "units",
    }


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """The resource board: every unit of the force by BCU, live. ``?fragment=rows`` gives only
    the tables (the live script swaps them in)."""
    actor = staff_user(request)
    require(actor, unit_selectors.VIEW_UNIT)
    context = _board_context(request, actor)
    if request.GET.get("fragment") == "rows":
        return render(request, "control/_board.html", context)
    return render(request, "control/board.html", context)


@login_required
@require_POST
def set_unit_status(request: HttpRequest, unit_id: int) -> HttpResponse:
    """Set a unit's status from the board: back to the board with a message, or the board with
    the reason it was refused."""
    actor = staff_user(request)
    unit = unit_selectors.unit(actor=actor, unit_id=unit_id)
    form = UnitStatusForm(request.POST)
    problem = ""
    status = 200
    if not form.is_valid():
        problem, status = f"Choose a status for {unit.call_sign}.", 422
    else:
        try:
            changed = unit_services.set_unit_status(
                actor=actor,
                unit=unit,
                status_code=form.cleaned_data["status"],
                expected_version=form.cleaned_data["expected_version"],
                position=position_of(request),
            )
        except Conflict as error:
            problem, status = error.message, 409
        except InvalidInput as error:
            problem, status = error.message, 422
        except PermissionDenied as error:
            problem, status = f"{unit.call_sign}'s status was not changed: {error.message}", 403
        else:
            messages.success(request, f"{changed.call_sign} is now {changed.status.code} {changed.status.label}.")
            return redirect(back_to(request, reverse("control:units")))
    request.GET = QueryDict(urlsplit(back_to(request, "")).query)  # the board the operator was looking at
    context = _board_context(request, actor) | {"problem": problem}
    return render(request, "control/board.html", context, status=status)


@login_required
@require_GET
def urgent(request: HttpRequest) -> HttpResponse:
    """The urgent-assistance takeover alone (the live script swaps it in on every screen)."""
    context = urgent_context(request, request.GET.get("bcu", ""))
    wanted = request.GET.get("next", "")
    context["next"] = wanted if url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}) else ""
    return render(request, "control/_urgent.html", context)


def urgent_context(request: HttpRequest, bcu_code: str) -> dict[str, Any]:
    actor = staff_user(request)
    alerts = screens.alerts_for_screen(actor=actor, bcu_code=bcu_code)
    now = timezone.now()
    positions = dispatch_link.positions(actor=actor) if alerts else {}
    return {
        "alerts": [
            {
                "alert": alert,
                "minutes": screens.minutes(now - alert.raised_at),
                "where": _alert_place(alert, positions.get(alert.unit_id)),
            }
            for alert in alerts
        ],
        "can_acknowledge": actor.has_perm(urgent_services.ACKNOWLEDGE_URGENT),
        "screen_bcu": bcu_code,
        "request": request,
    }


def _alert_place(alert: UrgentAssistance, position: dispatch_link.Position | None) -> str:
    """Where the unit is: the incident it is at, else its last AVL position (with its borough
    and whether it is out of date), else not known."""
    if alert.incident is not None:
        return f"{alert.incident.address or 'No address'} ({alert.incident.reference})"
    if position is not None:
        try:
            borough = core_selectors.locate(lat=position.lat, lon=position.lon).borough_name or ""
        except (InvalidInput, NotFound):  # outside every force area, or not a valid point
            borough = ""
        place = f"{borough}, " if borough else ""
        stale = " — out of date, confirm by radio" if position.stale else ""
        return f"Last vehicle position: {place}{position.lat:.5f}, {position.lon:.5f}{stale}"
    return "Not known: call the unit on the radio"


@login_required
@require_POST
def acknowledge_urgent(request: HttpRequest, alert_id: int) -> HttpResponse:
    actor = staff_user(request)
    alert = unit_selectors.urgent_assistance(actor=actor, alert_id=alert_id)
    try:
        urgent_services.acknowledge_urgent_assistance(actor=actor, alert=alert, position=position_of(request))
    except Conflict as error:
        messages.info(request, error.message)
    else:
        messages.success(request, f"Urgent assistance for {alert.unit.call_sign} acknowledged: you have taken charge.")
    return redirect(back_to(request, reverse("control:queue")))
