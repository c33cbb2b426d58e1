"""Finance pages: the shared online platform's charges (PCD 451) for national administrators.

The charges are worked out afresh on every view from the members on 1 April, their figures, the
recorded cost and the formula in force, so a force joining or leaving shows at once."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from bluelamp.business import selectors, services
from bluelamp.business.forms import MembershipForm, PlatformCostForm
from bluelamp.core.access import require
from bluelamp.core.errors import DomainError, InvalidInput
from bluelamp.core.models import User


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


def _current_financial_year() -> int:
    today = timezone.localdate()
    return today.year if today.month >= 4 else today.year - 1


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("year") or request.POST.get("year") or ""
    if not raw:
        return _current_financial_year()
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        raise InvalidInput("Choose a financial year between 2000 and 2100, like 2026.")
    return int(raw)


def _page(
    request: HttpRequest,
    *,
    year: int,
    cost_form: Form | None = None,
    membership_form: Form | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    actor = _actor(request)
    charges = selectors.charging_year(actor, financial_year=year)
    context: dict[str, Any] = {
        "charges": charges,
        "year": year,
        "years": list(range(_current_financial_year() - 2, _current_financial_year() + 3)),
        "cost_form": cost_form
        or PlatformCostForm(initial={"financial_year": year, "amount": charges.cost.amount if charges.cost else None}),
        "membership_form": membership_form or MembershipForm(),
        "problem": problem,
        "nav": "charging",
    }
    return render(request, "business/charging.html", context, status=status)


@login_required
@require_GET
def charging(request: HttpRequest) -> HttpResponse:
    require(_actor(request), selectors.MANAGE_CHARGING)
    return _page(request, year=_year(request))


@login_required
@require_POST
def record_cost(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, selectors.MANAGE_CHARGING)
    form = PlatformCostForm(request.POST)
    if not form.is_valid():
        return _page(request, year=_year(request), cost_form=form, status=422)
    year = form.cleaned_data["financial_year"]
    services.record_platform_cost(actor=actor, financial_year=year, amount=form.cleaned_data["amount"])
    return redirect(f"{reverse('finance:charging')}?year={year}")


@login_required
@require_POST
def change_membership(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    require(actor, selectors.MANAGE_CHARGING)
    year = _year(request)
    form = MembershipForm(request.POST)
    if not form.is_valid():
        return _page(request, year=year, membership_form=form, status=422)
    force, on = form.cleaned_data["force"], form.cleaned_data["on"]
    try:
        if form.cleaned_data["change"] == "join":
            services.join_platform(actor=actor, force=force, joined_on=on)
        else:
            services.leave_platform(actor=actor, force=force, left_on=on)
    except DomainError as error:
        return _page(request, year=year, membership_form=form, problem=error.message, status=error.status)
    return redirect(f"{reverse('finance:charging')}?year={year}")


@login_required
@require_GET
def statement_csv(request: HttpRequest) -> HttpResponse:
    """One force's statement for a year, as CSV: the figures, the formula and what it pays."""
    year = _year(request)
    charges, line = selectors.charge_for_force(
        _actor(request), financial_year=year, force_code=request.GET.get("force", "")
    )
    assert charges.formula is not None
    assert charges.cost is not None
    assert charges.result is not None
    contribution, formula = line.contribution, charges.formula
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Statement", f"Shared online platform charge {charges.label}"])
    writer.writerow(["Force", line.force.name])
    writer.writerow(["Force code", line.force.code])
    writer.writerow(["Financial year", f"1 April {year} to 31 March {year + 1}"])
    writer.writerow(["Platform cost (GBP)", f"{charges.cost.amount:.2f}"])
    writer.writerow(["Forces sharing the cost", len(charges.lines)])
    writer.writerow(["Formula in force from", formula.effective_from.isoformat()])
    writer.writerow(["Formula", formula.description])
    writer.writerow(["Officers", line.officers])
    writer.writerow(["Population", line.population])
    writer.writerow(["Figures from year", line.figures_year or "none recorded"])
    writer.writerow(["Formula share (%)", f"{float(contribution.weight) * 100:.4f}"])
    writer.writerow(["Formula amount before caps and floors (GBP)", f"{contribution.formula_amount:.2f}"])
    cap, floor = formula.caps.get(line.force.code), formula.floors.get(line.force.code, formula.default_floor)
    writer.writerow(["Cap (GBP)", f"{cap:.2f}" if cap is not None else "none"])
    writer.writerow(["Floor (GBP)", f"{floor:.2f}"])
    writer.writerow(["Limit applied", {"cap": "cap", "floor": "floor"}.get(contribution.limit, "none")])
    writer.writerow(["Amount payable (GBP)", f"{contribution.amount:.2f}"])
    if charges.result.note:
        writer.writerow(["Note", charges.result.note])
    writer.writerow(["Produced", dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds")])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="platform-charge-{line.force.code}-{year}.csv"'
    return response
