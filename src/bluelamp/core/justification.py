"""Asking why before showing a person's record (DPA 2018 s.62), shared by every system that
holds one (HR, POLE), on staff pages and in the API. On a page, the form takes the reasons that
fit the system; a justification then covers later views of the same record in the same session
for a short while — each view is still logged by the caller. In the API, the reason comes in
the ``X-Justification`` header of each request."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from ninja import Header

from bluelamp.core.errors import InvalidInput

GRANT_LIFETIME = dt.timedelta(minutes=15)
SESSION_KEY = "bluelamp.consultation_grants"  # {record key: {justification, reason, expires}}


class JustificationForm(forms.Form):
    reason = forms.ChoiceField(
        widget=forms.RadioSelect, error_messages={"required": "Select why you need to see this record"}
    )
    detail = forms.CharField(
        max_length=500,
        error_messages={
            "required": "Give details of why you need to see this record",
            "max_length": "Details must be 500 characters or fewer",
        },
    )

    def __init__(self, *args: object, reasons: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.reasons = reasons
        self.fields["reason"].choices = reasons  # type: ignore[attr-defined]

    def justification(self) -> str:
        """What goes in the audit trail: the reason and the detail, in words."""
        label = dict(self.reasons)[self.cleaned_data["reason"]]
        return f"{label}: {self.cleaned_data['detail']}"

    def clean_detail(self) -> str:
        detail: str = self.cleaned_data["detail"].strip()
        if not detail:
            raise forms.ValidationError("Give details of why you need to see this record")
        return detail


def grant(request: HttpRequest, record: str, form: JustificationForm) -> None:
    """Remember the justification for ``record`` (e.g. ``"pole.person:17"``) for a while."""
    now = timezone.now()
    grants = {
        key: given
        for key, given in request.session.get(SESSION_KEY, {}).items()
        if dt.datetime.fromisoformat(given["expires"]) > now  # drop the stale ones
    }
    grants[record] = {
        "justification": form.justification(),
        "reason": form.cleaned_data["reason"],
        "expires": (now + GRANT_LIFETIME).isoformat(),
    }
    request.session[SESSION_KEY] = grants


def current_grant(request: HttpRequest, record: str) -> dict[str, str] | None:
    """The justification given for ``record`` in this session, if still fresh."""
    given: dict[str, str] | None = request.session.get(SESSION_KEY, {}).get(record)
    if given is None or dt.datetime.fromisoformat(given["expires"]) <= timezone.now():
        return None
    return given


def ask_why_first(
    request: HttpRequest,
    *,
    record: str,
    reasons: list[tuple[str, str]],
    ask_template: str,
    context: dict[str, object],
) -> HttpResponse | dict[str, str]:
    """The whole "why do you need this?" step of a person page. Returns the page to show (the
    question, again with errors, or a redirect once answered) or, when a fresh justification
    exists, that grant: the caller then logs the consultation with it and shows the record."""
    if request.method == "POST":
        form = JustificationForm(request.POST, reasons=reasons)
        if form.is_valid():
            grant(request, record, form)
            return redirect(request.path)  # the GET that follows logs and shows the record
    else:
        given = current_grant(request, record)
        if given is not None:
            return given
        form = JustificationForm(reasons=reasons)
    return render(request, ask_template, {**context, "form": form})


# The API -----------------------------------------------------------------------------------

JustificationHeader = Annotated[str | None, Header(alias="X-Justification")]


def required(header: str | None, *, what: str, example: str) -> str:
    """The justification sent in the ``X-Justification`` header, or a 422 that says how to give
    it: ``what`` is what the client asked to see, ``example`` a reason that fits the system."""
    given = (header or "").strip()
    if not given:
        raise InvalidInput(
            f"Say why you need {what} in the X-Justification header, "
            f"e.g. 'X-Justification: {example}'. It is recorded in the audit trail."
        )
    return header or ""
