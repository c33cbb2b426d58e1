"""Screens for contacts: taking a call (with the place found on the map and the history there)
and one contact with its outcomes. Views are thin: they call one service and show the result."""

from __future__ import annotations

from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from bluelamp.control import rules
from bluelamp.control.contacts import selectors as contact_selectors
from bluelamp.control.contacts import services as contact_services
from bluelamp.control.forms import CreateIncidentForm, LinkForm, ResolveForm, TakeCallForm
from bluelamp.control.incidents import selectors as incident_selectors
from bluelamp.control.models import Contact
from bluelamp.control.web import category_name, history_near, map_tiles, position_of, staff_user
from bluelamp.core import selectors as core_selectors
from bluelamp.core.access import require
from bluelamp.core.errors import Conflict, InvalidInput
from bluelamp.core.models import User

# Taking a call ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def take_call(request: HttpRequest) -> HttpResponse:
    """The call-taking form. "Check history" shows the history at the point without saving;
    "Save" records the contact and moves on to what to do with it."""
    actor = staff_user(request)
    require(actor, "control.add_contact")
    history = None
    if request.method != "POST":
        form = TakeCallForm(initial={"position": position_of(request)})
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
        history = None if form.errors else history_near(actor, lat, lon)
        return _take_call_page(request, {"form": form, "history": history, "checked": True})
    if valid:
        data = form.cleaned_data
        position_of(request, data["position"])
        try:
            received = contact_services.receive_contact(
                actor=actor,
                contact=contact_services.NewContact(
                    channel=data["channel"],
                    caller_name=data["caller_name"],
                    caller_phone=data["caller_phone"],
                    address=data["address"],
                    lat=data["lat"],
                    lon=data["lon"],
                    description=data["description"],
                    category=data["category"],
                    qualifiers=data["qualifiers"],
                ),
            )
        except InvalidInput as error:
            form.add_error(None, error.message)
        else:
            return redirect("control:contact", contact_id=received.contact.pk)
    return _take_call_page(request, {"form": form, "history": history})


def _take_call_page(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    return render(request, "control/take_call.html", context | map_tiles())


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
        context.update(history=history_near(actor, chosen.lat, chosen.lon), checked=True)
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
    actor = staff_user(request)
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
        position = position_of(request)
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
        "category_name": category_name(found.category) if found.category else "",
        "history": history_near(actor, found.lat, found.lon),
    }
    return render(request, "control/contact.html", context)
