"""The device manager's screens: the register, one device's history, the factory board with its
what-if on capacity, the allocation with its what-if on the budget, the MDM queue and the
benefits. Thin: each reads through one selector or calls one service; permissions and force
scoping come from them (403 / 404 pages from core's middleware)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from bluelamp.core.access import require
from bluelamp.core.errors import DomainError, PermissionDenied
from bluelamp.core.models import Force, User
from bluelamp.core.pagination import page_links
from bluelamp.mobility import allocation, charts, lifecycle, reconciliation, selectors, services

PAGE_SIZE = 50


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


def _own_force(actor: User) -> Force:
    if actor.force is None:
        raise PermissionDenied("Your account belongs to no force, so there is no device register to change.")
    return actor.force


class RegisterSearchForm(forms.Form):
    q = forms.CharField(label="Serial, IMEI, ICCID, phone number or custodian's surname", required=False)
    state = forms.ChoiceField(label="State", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        states = [(s.code, s.name) for s in lifecycle.states().values()]
        cast(forms.ChoiceField, self.fields["state"]).choices = [("", "Any state"), *states]


@login_required
@require_GET
def register(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = RegisterSearchForm(request.GET or None)
    filters = {"search": form.cleaned_data["q"], "state": form.cleaned_data["state"]} if form.is_valid() else {}
    page = Paginator(selectors.devices(actor=actor, **filters), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "pager": page_links(request, page),
        "counts": selectors.state_counts(actor=actor),
        "nav": "register",
    }
    return render(request, "mobility/register.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def device(request: HttpRequest, device_id: int) -> HttpResponse:
    actor = _actor(request)
    found = selectors.device(actor=actor, device_id=device_id)
    if request.method == "POST":
        require(actor, services.MANAGE)
        services.report_lost(
            actor=actor,
            device=found,
            stolen=request.POST.get("stolen") == "yes",
            circumstances=request.POST.get("circumstances", ""),
        )
        messages.success(
            request,
            f"{found.serial_number} is reported {found.state}; its sign-ins are stopped and a wipe is requested.",
        )
        return redirect("mobility:device", device_id=found.pk)
    context = {
        "device": found,
        "state_name": lifecycle.name_of(found.state),
        "moves": selectors.history(actor=actor, device_id=device_id),
        "may_report_lost": "lost" in lifecycle.states()[found.state].moves,
        "nav": "register",
    }
    return render(request, "mobility/device.html", context)


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(
        label="What if the factory built this many a day", min_value=1, max_value=100_000, required=False
    )


@login_required
@require_GET
def factory_board(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = CapacityForm(request.GET or None)
    capacity = form.cleaned_data["capacity"] if form.is_valid() else None
    board = selectors.factory_board(actor=actor, capacity_per_day=capacity)
    context = {"form": form, "board": board, "what_if": capacity is not None, "nav": "factory"}
    return render(request, "mobility/factory.html", context)


class AllocationForm(forms.Form):
    budget_change = forms.IntegerField(
        label="Budget change (%)", min_value=-90, max_value=200, initial=0, required=False
    )
    contingency = forms.DecimalField(
        label="Contingency pool (% of devices issued)", min_value=0, max_value=50, initial=5, required=False
    )
    fairness = forms.DecimalField(
        label="Minimum share of each business group's need (%)", min_value=0, max_value=100, initial=0, required=False
    )


@login_required
@require_GET
def allocation_plan(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, selectors.PLAN)
    form = AllocationForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    problem, requirements = selectors.allocation_problem(
        actor=actor,
        contingency_rate=float(data.get("contingency") or 5) / 100,
        min_group_share=float(data.get("fairness") or 0) / 100,
    )
    problem = problem.scaled(1 + (data.get("budget_change") or 0) / 100)
    context: dict[str, Any] = {"form": form, "nav": "allocation", "requirements": requirements, "problem": problem}
    if problem.lines:
        try:
            result = allocation.compare(problem, time_limit=10)
        except DomainError as error:
            context["error"] = error.message
        else:
            context.update(
                result=result,
                groups=allocation.group_totals(problem, result.allocation),
                per_1000=result.prices.budget * 1000,
                stream_rows=[
                    (s, result.allocation.spent_from(s.key), result.prices.per_stream[s.key] * 1000)
                    for s in problem.streams
                ],
                missing_rows=[
                    {"requirement": requirements[short.line.key], "shortfall": short} for short in result.missing
                ],
            )
    return render(request, "mobility/allocation.html", context)


class ExportForm(forms.Form):
    export = forms.FileField(label="MDM export (CSV or JSON)")
    silent_days = forms.IntegerField(label="Silent after (days)", min_value=1, max_value=365, initial=14)


@login_required
@require_http_methods(["GET", "POST"])
def mdm_queue(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    form = ExportForm()
    if request.method == "POST":
        form = ExportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["export"]
            result = reconciliation.reconcile_mdm_export(
                actor=actor,
                force=_own_force(actor),
                content=upload.read(),
                file_name=upload.name or "",
                silent_after_days=form.cleaned_data["silent_days"],
            )
            messages.success(
                request,
                f"{result.rows} devices read: {result.unknown} unknown, {result.silent} silent, "
                f"{result.custodian} with another user.",
            )
            return redirect("mobility:mdm")
    page = Paginator(selectors.mdm_queue(actor=actor), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "mobility/mdm.html", {"form": form, "page": page, "pager": page_links(request, page), "nav": "mdm"}
    )


@login_required
@require_GET
def benefits(request: HttpRequest) -> HttpResponse:
    groups = selectors.benefits_by_group(actor=_actor(request))
    context = {"groups": [(group, charts.progress_bars(group.benefits)) for group in groups], "nav": "benefits"}
    return render(request, "mobility/benefits.html", context)
