"""The control-room screens that span domains: the live feed that keeps every screen current,
the command view and the map (with assigning from it). Each domain's own screens are in its
package (``contacts.views``, ``incidents.views``, ``units.views``).

Reads go through ``selectors`` (403 without the permission, 404 for another force's record);
writes through ``services``. A change to an incident carries the version the operator was
looking at; when someone else changed it meanwhile the page shows the latest with a clear
message instead of overwriting."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from bluelamp.control import dispatch_link, screens
from bluelamp.control.forms import AssignForm, QueueFilterForm
from bluelamp.control.incidents import selectors as incident_selectors
from bluelamp.control.units import selectors as unit_selectors
from bluelamp.control.units import services as unit_services
from bluelamp.control.web import category_name, map_tiles, position_of, staff_user, without_fragment
from bluelamp.core import live
from bluelamp.core.access import require
from bluelamp.core.errors import Conflict, InvalidInput, PermissionDenied
from bluelamp.core.models import User

# The live feed ------------------------------------------------------------------------------


@require_GET
def live_feed(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Server-sent events: a notice for each committed change in the user's force that the
    user's permissions let them read (unit positions only with ``view_unitposition``, for
    instance). Under ASGI the stream waits on the event loop; under a threaded WSGI server it
    holds its thread. Permissions are read when the stream opens; it ends (and the browser
    reconnects, checking again) after ``STREAM_SECONDS``."""
    actor = staff_user(request)
    if not actor.is_authenticated:
        return HttpResponse("Sign in first.", status=401, content_type="text/plain")
    require(actor, incident_selectors.VIEW_INCIDENT)
    if actor.force_id is None:
        raise PermissionDenied("The live feed shows one force's changes: you are not a member of a force.")
    body: Any
    permissions = actor.get_all_permissions()
    if isinstance(request, ASGIRequest):
        # The stream needs no database: give this request's connection back to the pool now,
        # not when the stream ends minutes later (100 open screens would exhaust the pool).
        live.release_database()
        body = live.astream(
            actor.force_id, permissions=permissions, heartbeat=live.HEARTBEAT_SECONDS, lifetime=live.STREAM_SECONDS
        )
    else:
        subscription = live.broadcaster.subscribe(actor.force_id, permissions=permissions)
        body = live.stream(subscription, heartbeat=live.HEARTBEAT_SECONDS, lifetime=live.STREAM_SECONDS)
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache, no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


VIEW_COMMAND = "control.view_command"


@login_required
@require_GET
def command(request: HttpRequest) -> HttpResponse:
    """The command view ("Silver"): per BCU and borough, live. ``?wall=1`` for a control-room
    wall; ``?fragment=rows`` gives only the figures (the live script swaps them in)."""
    actor = staff_user(request)
    require(actor, VIEW_COMMAND)
    bcus = screens.bcu_choices(actor)
    form = QueueFilterForm(request.GET or None, bcus=bcus)
    bcu_code = request.GET.get("bcu", "") if request.GET.get("bcu", "") in dict(bcus) else ""
    picture = screens.command_picture(actor=actor, bcu_code=bcu_code)
    context = {
        "form": form,
        "picture": picture,
        "wall": request.GET.get("wall") == "1",
        "query": without_fragment(request),
        "screen_bcu": bcu_code,
        "nav": "command",
        "now": picture.now,
    }
    if request.GET.get("fragment") == "rows":
        return render(request, "control/_command.html", context)
    return render(request, "control/command.html", context)


@login_required
@require_GET
def map_screen(request: HttpRequest) -> HttpResponse:
    """The map with the keyboard-accessible list beside it (the list is the screen's backbone: a
    map is not accessible on its own)."""
    actor = staff_user(request)
    require(actor, incident_selectors.VIEW_INCIDENT)
    require(actor, unit_selectors.VIEW_UNIT)
    bcus = screens.bcu_choices(actor)
    form = QueueFilterForm(request.GET or None, bcus=bcus)
    bcu_code = request.GET.get("bcu", "") if request.GET.get("bcu", "") in dict(bcus) else ""
    selected = request.GET.get("incident", "")
    context: dict[str, Any] = {
        "form": form,
        "data": screens.map_data(actor=actor, bcu_code=bcu_code),
        "screen_bcu": bcu_code,
        "nav": "map",
        **map_tiles(),
        "query": without_fragment(request),
        "can_dispatch": actor.has_perm(unit_services.DISPATCH),
        "selected": None,
    }
    if selected.isdigit():
        context |= _selection(request, actor, int(selected))
    if request.GET.get("fragment") == "list":
        return render(request, "control/_map_list.html", context)
    if request.GET.get("fragment") == "selection":
        return render(request, "control/_map_selection.html", context)
    return render(request, "control/map.html", context)


def _selection(request: HttpRequest, actor: User, incident_id: int) -> dict[str, Any]:
    """The selected incident, its assigned units and the recommended ones (dispatch app)."""
    found = incident_selectors.incident(actor=actor, incident_id=incident_id)
    recommended = dispatch_link.recommendation(actor=actor, incident=found)
    assigned = list(unit_selectors.assignments(found.pk).exclude(state="cleared"))
    others = [
        (unit.pk, f"{unit.call_sign} ({unit.unit_type.code}, {unit.status.label})")
        for unit in unit_selectors.units(actor=actor).exclude(status__base_type__in=["off_duty", "unavailable"])
    ]
    return {
        "selected": found,
        "recommended": recommended,
        "assigned": assigned,
        "other_units": others,
        "category": category_name(found.opening_category),
    }


@login_required
@require_GET
def map_boundaries(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    require(actor, incident_selectors.VIEW_INCIDENT)
    response = HttpResponse(screens.boundaries(actor=actor), content_type="application/geo+json")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_GET
def map_data(request: HttpRequest) -> HttpResponse:
    actor = staff_user(request)
    require(actor, incident_selectors.VIEW_INCIDENT)
    bcu_code = request.GET.get("bcu", "")
    if bcu_code and bcu_code not in dict(screens.bcu_choices(actor)):
        bcu_code = ""
    response = JsonResponse(screens.map_data(actor=actor, bcu_code=bcu_code))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def map_assign(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Assign a unit from the map: the recommended one with one key, or another with a reason
    (written in the incident log)."""
    actor = staff_user(request)
    found = incident_selectors.incident(actor=actor, incident_id=incident_id)
    form = AssignForm(request.POST)
    back = reverse("control:map") + f"?incident={found.pk}"
    problem = ""
    if not form.is_valid():
        problem = "Choose a unit to assign."
    else:
        chosen = form.cleaned_data["unit"]
        unit = unit_selectors.unit(actor=actor, unit_id=chosen) if chosen else None
        recommended = [pk for pk in request.POST.get("recommended", "").split() if pk.isdigit()]
        reason = form.cleaned_data["override_reason"]
        overriding = unit is not None and bool(recommended) and str(unit.pk) not in recommended
        name = unit.call_sign if unit is not None else "The recommended unit"
        if overriding and not reason:
            problem = f"Say why you are sending {name} instead of the recommended unit."
        else:
            try:
                done = dispatch_link.assign(
                    actor=actor,
                    incident=found,
                    unit=unit,
                    override_reason=reason,
                    expected_version=form.cleaned_data["expected_version"],
                    position=position_of(request),
                )
            except (Conflict, InvalidInput, PermissionDenied) as error:
                problem = f"{name} was not assigned: {error.message}"
            else:
                sent = getattr(done, "assignments", None) or [done]
                names = ", ".join(a.unit.call_sign for a in sent)
                messages.success(request, f"{names} assigned to {found.reference}.")
                return redirect(back)
    return _with_problem(request, found.pk, problem)


def _with_problem(request: HttpRequest, incident_id: int, problem: str) -> HttpResponse:
    actor = staff_user(request)
    bcus = screens.bcu_choices(actor)
    context: dict[str, Any] = {
        "form": QueueFilterForm(None, bcus=bcus),
        "data": screens.map_data(actor=actor),
        "screen_bcu": "",
        "nav": "map",
        **map_tiles(),
        "query": "",
        "can_dispatch": actor.has_perm(unit_services.DISPATCH),
        "problem": problem,
    } | _selection(request, actor, incident_id)
    return render(request, "control/map.html", context, status=409)
