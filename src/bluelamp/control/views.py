"""The control-room screens: taking a call, the incident queue, an incident, and the live feed
that keeps them current.

Reads go through ``selectors`` (403 without the permission, 404 for another force's record);
writes through ``services``. A change to an incident carries the version the operator was
looking at; when someone else changed it meanwhile the page shows the latest with a clear
message instead of overwriting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlsplit

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bluelamp.control import dispatch_link, rules, screens
from bluelamp.control.contacts import selectors as contact_selectors
from bluelamp.control.contacts import services as contact_services
from bluelamp.control.forms import (
    AssignForm,
    BoardFilterForm,
    CloseForm,
    CreateIncidentForm,
    LinkForm,
    LogEntryForm,
    QueueFilterForm,
    ResolveForm,
    TakeCallForm,
    ThriveForm,
    TransitionForm,
    UnitStatusForm,
)
from bluelamp.control.incidents import grading
from bluelamp.control.incidents import log as incident_log
from bluelamp.control.incidents import selectors as incident_selectors
from bluelamp.control.incidents import services as incident_services
from bluelamp.control.models import Contact, Incident, UnitStatus, UrgentAssistance
from bluelamp.control.units import selectors as unit_selectors
from bluelamp.control.units import services as unit_services
from bluelamp.control.units import urgent as urgent_services
from bluelamp.core import live
from bluelamp.core import selectors as core_selectors
from bluelamp.core.access import require
from bluelamp.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bluelamp.core.models import Bcu, User
from bluelamp.pole import selectors as pole_selectors

POSITION = "control.position"  # the operator's position, remembered for the session
VIEW_HISTORY = "pole.view_history"
STALE = "Someone else changed this incident while you were looking at it. Here is the latest: check it and try again."
QUEUE_LIMIT = 200


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


def _position(request: HttpRequest, typed: str | None = None) -> str:
    if typed is not None and typed.strip():
        request.session[POSITION] = typed.strip()[:60]
    return str(request.session.get(POSITION, ""))


def _history(actor: User, lat: float | None, lon: float | None) -> Any:
    if lat is None or lon is None or not actor.has_perm(VIEW_HISTORY):
        return None
    return pole_selectors.history_at_point(actor=actor, lat=lat, lon=lon)


def _minutes(delta: dt.timedelta) -> int:
    """Whole minutes, rounded towards zero (so "-3" means three minutes over)."""
    return int(delta.total_seconds() / 60)


def _category_name(code: str) -> str:
    found = rules.nsir_categories().get(code)
    return found.name if found else code


# Taking a call ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def take_call(request: HttpRequest) -> HttpResponse:
    """The call-taking form. "Check history" shows the history at the point without saving;
    "Save" records the contact and moves on to what to do with it."""
    actor = _actor(request)
    require(actor, "control.add_contact")
    history = None
    if request.method != "POST":
        form = TakeCallForm(initial={"position": _position(request)})
        return _take_call_page(request, {"form": form, "history": None})
    action = request.POST.get("action")
    if action in ("find", "use-place"):
        return _find_place(request, actor, action)
    form = TakeCallForm(request.POST)
    valid = form.is_valid()
    if action == "history":
        _keep_errors_of(form, "lat", "lon")
        lat, lon = form.cleaned_data.get("lat"), form.cleaned_data.get("lon")
        if not form.errors and (lat is None or lon is None):
            form.add_error("lat", "Enter a latitude and longitude to check the history at a place")
        history = None if form.errors else _history(actor, lat, lon)
        return _take_call_page(request, {"form": form, "history": history, "checked": True})
    if valid:
        data = form.cleaned_data
        _position(request, data["position"])
        try:
            received = contact_services.receive_contact(
                actor=actor,
                channel=data["channel"],
                caller_name=data["caller_name"],
                caller_phone=data["caller_phone"],
                address=data["address"],
                lat=data["lat"],
                lon=data["lon"],
                description=data["description"],
                category=data["category"],
                qualifiers=data["qualifiers"],
            )
        except InvalidInput as error:
            form.add_error(None, error.message)
        else:
            return redirect("control:contact", contact_id=received.contact.pk)
    return _take_call_page(request, {"form": form, "history": history})


def _map_tiles() -> dict[str, str]:
    """The street-map tiles every map screen draws under its own layers (none unless configured)."""
    return {"tile_url": settings.BLUELAMP_MAP_TILE_URL, "tile_attribution": settings.BLUELAMP_MAP_TILE_ATTRIBUTION}


def _take_call_page(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    return render(request, "control/take_call.html", context | _map_tiles())


def _keep_errors_of(form: django_forms.Form, *names: str) -> None:
    """Only what a step looks at can be wrong at that step: the rest is filled in later."""
    for name in [name for name in form.errors if name not in names]:
        del form.errors[name]


def _find_place(request: HttpRequest, actor: User, action: str) -> HttpResponse:
    """Find this address: the gazetteer's places matching what was typed. Use this place: the
    chosen one's name and point go in the form, and the history there is shown. Nothing is
    saved, and whatever else was typed stays."""
    data = request.POST.copy()
    context: dict[str, Any] = {"history": None}
    chosen = None
    if action == "use-place":
        chosen = core_selectors.gazetteer_place(data.get("place", ""))
        if chosen is not None:
            data["address"], data["lat"], data["lon"] = str(chosen), f"{chosen.lat:.6f}", f"{chosen.lon:.6f}"
    form = TakeCallForm(data)
    form.is_valid()
    _keep_errors_of(form, "address", "lat", "lon")
    typed = data.get("address", "").strip()
    if action == "use-place" and chosen is None:
        form.add_error("address", "Choose one of the places found, or find the address again")
    elif chosen is not None:
        context.update(history=_history(actor, chosen.lat, chosen.lon), checked=True)
    else:
        context["places"] = core_selectors.find_places(typed)
        if not context["places"]:
            form.errors.pop("address", None)
            form.add_error(
                "address",
                f"No place matches “{typed}”: check the spelling, or enter a latitude and longitude"
                if typed
                else "Enter an address or place to find",
            )
    return _take_call_page(request, {"form": form, **context})


@login_required
@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest, contact_id: int) -> HttpResponse:
    """A contact just taken: make it an incident, link it to a possible duplicate, or resolve it."""
    actor = _actor(request)
    found = contact_selectors.contact(actor=actor, contact_id=contact_id)
    if found.outcome in (Contact.Outcome.INCIDENT, Contact.Outcome.LINKED) and found.incident_id:
        return redirect("control:incident", incident_id=found.incident_id)
    contact_selectors.record_contacts_shown(actor=actor, contacts=[found], via="contact page")
    duplicates = (
        incident_selectors.possible_duplicates(actor=actor, contact=found)
        if actor.has_perm(incident_selectors.VIEW_INCIDENT)
        else []
    )
    choices = [(n.incident.pk, f"{n.incident.reference}") for n in duplicates]
    create = CreateIncidentForm(prefix="create", initial={"category": found.category, "qualifiers": found.qualifiers})
    link = LinkForm(prefix="link", incidents=choices)
    resolve = ResolveForm(prefix="resolve")
    errored: django_forms.Form | None = None
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if found.outcome == Contact.Outcome.OPEN and action:
        position = _position(request)
        try:
            if action == "create":
                errored = create = CreateIncidentForm(request.POST, prefix="create")
                if create.is_valid():
                    made = contact_services.create_incident_from_contact(
                        actor=actor,
                        contact=found,
                        category=create.cleaned_data["category"],
                        qualifiers=create.cleaned_data["qualifiers"],
                        position=position,
                    )
                    messages.success(request, f"{made.reference} created. Assess and grade it now.")
                    return redirect("control:incident", incident_id=made.pk)
            elif action == "link":
                errored = link = LinkForm(request.POST, prefix="link", incidents=choices)
                if link.is_valid():
                    target = incident_selectors.incident(actor=actor, incident_id=link.cleaned_data["incident"])
                    contact_services.link_contact(actor=actor, contact=found, incident=target, position=position)
                    messages.success(request, f"Contact #{found.pk} linked to {target.reference}.")
                    return redirect("control:incident", incident_id=target.pk)
            elif action == "resolve":
                errored = resolve = ResolveForm(request.POST, prefix="resolve")
                if resolve.is_valid():
                    contact_services.resolve_contact(
                        actor=actor,
                        contact=found,
                        resolution_code=resolve.cleaned_data["resolution_code"],
                        note=resolve.cleaned_data["note"],
                    )
                    messages.success(request, f"Contact #{found.pk} resolved without an incident.")
                    return redirect("control:take-call")
        except (InvalidInput, Conflict) as error:
            if errored is not None:
                errored.add_error(None, error.message)
    context = {
        "contact": found,
        "duplicates": duplicates,
        "create": create,
        "link": link,
        "resolve": resolve,
        "errored": errored,
        "resolutions": rules.resolution_codes(),
        "category_name": _category_name(found.category) if found.category else "",
        "history": _history(actor, found.lat, found.lon),
    }
    return render(request, "control/contact.html", context)


# The queue ----------------------------------------------------------------------------------


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """Open incidents, unresourced first, then oldest. ``?fragment=rows`` gives only the table
    (the live script swaps it in)."""
    actor = _actor(request)
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
        left = _minutes(measured.time_left) if measured.time_left is not None else None
        rows.append(
            {
                "incident": item,
                "category": _category_name(item.opening_category),
                "age": _minutes(now - item.created_at),
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
    position = _position(request)
    next_statuses = [
        (value, Incident.Status(value).label)
        for value in Incident.Status.values
        if value in rules.NEXT_STATUSES[incident.status] and value != Incident.Status.CLOSED
    ]
    measured = incident_selectors.response_time(incident)
    time_left = _minutes(measured.time_left) if measured.time_left is not None else None
    contact_selectors.record_callers_shown(actor=actor, incident=incident, via="incident page")
    context = {
        "incident": incident,
        "measured": measured,
        "time_left": time_left,
        "overdue": -time_left if time_left is not None and time_left < 0 else None,
        "attended_minutes": _minutes(measured.attended_after) if measured.attended_after is not None else None,
        "opening_category": _category_name(incident.opening_category),
        "closing_category": _category_name(incident.closing_category),
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
        "history": _history(actor, incident.lat, incident.lon),
        "position": position,
    }
    return render(request, "control/incident.html", context, status=status)


@login_required
@require_GET
def incident(request: HttpRequest, incident_id: int) -> HttpResponse:
    actor = _actor(request)
    found = incident_selectors.incident(actor=actor, incident_id=incident_id)
    if request.GET.get("fragment") == "log":
        contact_selectors.record_callers_shown(actor=actor, incident=found, via="incident log")
        return render(request, "control/_log.html", {"incident": found, "log": list(incident_selectors.log(found))})
    return _incident_page(request, actor, found)


Act = Callable[[User, Incident, dict[str, Any], str], Any]


def _change(request: HttpRequest, incident_id: int, name: str, form: django_forms.Form, act: Act) -> HttpResponse:
    """Run one change to an incident from a posted form: back to the incident when it worked;
    the page with the form's errors, or the latest incident with the conflict, when not."""
    actor = _actor(request)
    found = incident_selectors.incident(actor=actor, incident_id=incident_id)
    if form.is_valid():
        expected = form.cleaned_data.get("expected_version")
        position = _position(request, form.cleaned_data.get("position"))
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


# The live feed ------------------------------------------------------------------------------


@require_GET
def live_feed(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Server-sent events: a notice for each committed change in the user's force that the
    user's permissions let them read (unit positions only with ``view_unitposition``, for
    instance). Under ASGI the stream waits on the event loop; under a threaded WSGI server it
    holds its thread. Permissions are read when the stream opens; it ends (and the browser
    reconnects, checking again) after ``STREAM_SECONDS``."""
    actor = _actor(request)
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


# Screens: the resource board, urgent assistance, the command view and the map ----------------


def _back(request: HttpRequest, fallback: str) -> str:
    """Where a screen's form goes back to: its own page (with its filters), never elsewhere."""
    wanted = request.POST.get("next", "")
    if (
        wanted
        and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()})
        and wanted.startswith("/")
    ):
        return wanted
    return fallback


def _without_fragment(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("fragment", None)
    return query.urlencode()


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
        "query": _without_fragment(request),
        "screen_bcu": filters.get("bcu", ""),
        "nav": "units",
    }


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """The resource board: every unit of the force by BCU, live. ``?fragment=rows`` gives only
    the tables (the live script swaps them in)."""
    actor = _actor(request)
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
    actor = _actor(request)
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
                position=_position(request),
            )
        except Conflict as error:
            problem, status = error.message, 409
        except InvalidInput as error:
            problem, status = error.message, 422
        except PermissionDenied as error:
            problem, status = f"{unit.call_sign}'s status was not changed: {error.message}", 403
        else:
            messages.success(request, f"{changed.call_sign} is now {changed.status.code} {changed.status.label}.")
            return redirect(_back(request, reverse("control:units")))
    request.GET = QueryDict(urlsplit(_back(request, "")).query)  # the board the operator was looking at
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
    actor = _actor(request)
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
    actor = _actor(request)
    alert = unit_selectors.urgent_assistance(actor=actor, alert_id=alert_id)
    try:
        urgent_services.acknowledge_urgent_assistance(actor=actor, alert=alert, position=_position(request))
    except Conflict as error:
        messages.info(request, error.message)
    else:
        messages.success(request, f"Urgent assistance for {alert.unit.call_sign} acknowledged: you have taken charge.")
    return redirect(_back(request, reverse("control:queue")))


VIEW_COMMAND = "control.view_command"


@login_required
@require_GET
def command(request: HttpRequest) -> HttpResponse:
    """The command view ("Silver"): per BCU and borough, live. ``?wall=1`` for a control-room
    wall; ``?fragment=rows`` gives only the figures (the live script swaps them in)."""
    actor = _actor(request)
    require(actor, VIEW_COMMAND)
    bcus = screens.bcu_choices(actor)
    form = QueueFilterForm(request.GET or None, bcus=bcus)
    bcu_code = request.GET.get("bcu", "") if request.GET.get("bcu", "") in dict(bcus) else ""
    picture = screens.command_picture(actor=actor, bcu_code=bcu_code)
    context = {
        "form": form,
        "picture": picture,
        "wall": request.GET.get("wall") == "1",
        "query": _without_fragment(request),
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
    actor = _actor(request)
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
        **_map_tiles(),
        "query": _without_fragment(request),
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
        "category": _category_name(found.opening_category),
    }


@login_required
@require_GET
def map_boundaries(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, incident_selectors.VIEW_INCIDENT)
    response = HttpResponse(screens.boundaries(actor=actor), content_type="application/geo+json")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_GET
def map_data(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
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
    actor = _actor(request)
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
                    position=_position(request),
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
    actor = _actor(request)
    bcus = screens.bcu_choices(actor)
    context: dict[str, Any] = {
        "form": QueueFilterForm(None, bcus=bcus),
        "data": screens.map_data(actor=actor),
        "screen_bcu": "",
        "nav": "map",
        **_map_tiles(),
        "query": "",
        "can_dispatch": actor.has_perm(unit_services.DISPATCH),
        "problem": problem,
    } | _selection(request, actor, incident_id)
    return render(request, "control/map.html", context, status=409)
