"""Auditors' screens: search the audit trail and export it as CSV.

Both are scoped by force (national roles read across forces) and both are themselves audited:
an auditor must give a reason, and each page of results or export is recorded as a
consultation of the entries it showed."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Max, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from bluelamp.core import audit
from bluelamp.core.access import reads_across_forces, require
from bluelamp.core.errors import PermissionDenied
from bluelamp.core.models import AuditEntry, User
from bluelamp.core.pagination import page_links

PER_PAGE = 50
EXPORT_BATCH = 2000
DATE_FORMATS = ["%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d", "%d-%m-%Y", "%d %m %Y"]
DATE_HINT = "For example, 17/5/2026"
SHOWN_IDS = 10


class AuditSearchForm(forms.Form):
    record_type = forms.CharField(
        label="Record type", required=False, max_length=60, help_text="For example, business.person"
    )
    record_id = forms.CharField(label="Record id", required=False, max_length=64)
    username = forms.CharField(label="User", required=False, max_length=150, help_text="Their username")
    operation = forms.ChoiceField(
        label="Operation", required=False, choices=[("", "Any operation"), *AuditEntry.Operation.choices]
    )
    date_from = forms.DateField(
        label="From",
        required=False,
        input_formats=DATE_FORMATS,
        help_text=DATE_HINT,
        error_messages={"invalid": f"The from date must be a real date. {DATE_HINT}"},
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        input_formats=DATE_FORMATS,
        help_text=DATE_HINT,
        error_messages={"invalid": f"The to date must be a real date. {DATE_HINT}"},
    )
    reason = forms.CharField(
        label="Reason for this search",
        max_length=500,
        help_text="Your search is recorded in the audit trail with this reason, for example a case reference.",
        error_messages={"required": "Enter the reason for this search"},
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("record_id") and not cleaned.get("record_type"):
            self.add_error("record_type", "Enter the type of the record, for example business.person")
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", "The to date must be the same as or after the from date")
        return cleaned

    def criteria(self) -> audit.AuditSearch:
        data = self.cleaned_data
        return audit.AuditSearch(
            record_type=data["record_type"],
            record_id=data["record_id"],
            username=data["username"],
            operation=data["operation"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )


@dataclass(frozen=True)
class ResultRow:
    entry: AuditEntry
    force: str
    record_ids: str
    request_id: SafeString
    ip_address: SafeString


def _breakable(text: str, *, every: int = 8) -> SafeString:
    """``text`` (escaped) with line-break opportunities, so long ids wrap inside a table cell."""
    chunks = ((text[start : start + every],) for start in range(0, len(text), every))
    return format_html_join(mark_safe("<wbr>"), "{}", chunks)


def _shown_ids(ids: list[Any]) -> str:
    extra = len(ids) - SHOWN_IDS
    return " ".join(str(i) for i in ids[:SHOWN_IDS]) + (f" and {extra} more" if extra > 0 else "")


def _row(entry: AuditEntry) -> ResultRow:
    return ResultRow(
        entry=entry,
        force=(entry.force.short_name or entry.force.name) if entry.force else "No force",
        record_ids=_shown_ids(entry.record_ids),
        request_id=_breakable(entry.request_id),
        ip_address=_breakable(entry.ip_address or "", every=10),
    )


def _auditor(request: HttpRequest) -> User:
    """The signed-in user, who must hold ``core.view_audit`` (403 otherwise)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("Sign in to search the audit trail.")
    require(user, audit.VIEW_AUDIT)
    return user


def _query_without_page(request: HttpRequest) -> QueryDict:
    query = request.GET.copy()
    query.pop("page", None)
    return query


def _render_search(request: HttpRequest, form: AuditSearchForm, **context: Any) -> HttpResponse:
    return render(request, "core/audit/search.html", {"form": form, **context})


@never_cache
@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    auditor = _auditor(request)
    if not set(request.GET) & set(AuditSearchForm.base_fields):
        return _render_search(request, AuditSearchForm())
    form = AuditSearchForm(request.GET)
    if not form.is_valid():
        return _render_search(request, form)
    criteria = form.criteria()
    page = Paginator(audit.search(auditor, criteria), PER_PAGE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    # Recorded before the results are rendered: no consultation goes unaudited.
    audit.record_search(
        actor=auditor,
        criteria=criteria,
        reason=form.cleaned_data["reason"],
        shown=shown,
        page=page.number,
        matching=page.paginator.count,
    )
    return _render_search(
        request,
        form,
        searched=True,
        page=page,
        rows=[_row(entry) for entry in shown],
        pager=page_links(request, page),
        across_forces=reads_across_forces(auditor),
        export_url=f"{reverse('audit:export')}?{_query_without_page(request).urlencode()}",
    )


CSV_HEADER = [
    "entry",
    "time",
    "operation",
    "who",
    "force",
    "record type",
    "record ids",
    "justification",
    "recipients",
    "request id",
    "IP address",
    "details",
    "previous hash",
    "entry hash",
]
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _csv_row(entry: AuditEntry) -> list[str]:
    values: list[Any] = [
        entry.pk,
        timezone.localtime(entry.at).isoformat(),
        entry.operation,
        entry.actor_label,
        entry.force.code if entry.force else "",
        entry.record_type,
        " ".join(str(i) for i in entry.record_ids),
        entry.justification,
        "; ".join(str(r) for r in entry.recipients),
        entry.request_id,
        entry.ip_address,
        audit.canonical_json(entry.details),
        entry.previous_hash,
        entry.entry_hash,
    ]
    return [_cell(value) for value in values]


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a generator."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(entries: QuerySet[AuditEntry]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for entry in audit.in_id_order(entries, batch_size=EXPORT_BATCH):
        yield writer.writerow(_csv_row(entry))


@never_cache
@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The whole filtered result as CSV, oldest first, streamed in batches."""
    auditor = _auditor(request)
    form = AuditSearchForm(request.GET)
    if not form.is_valid():
        return _render_search(request, form)
    criteria = form.criteria()
    entries = audit.search(auditor, criteria)
    # Entries are never changed or removed, so "up to this id" pins exactly what is exported.
    newest = entries.aggregate(newest=Max("pk"))["newest"] or 0
    entries = entries.filter(pk__lte=newest)
    audit.record_export(
        actor=auditor,
        criteria=criteria,
        reason=form.cleaned_data["reason"],
        exported=entries,
        export="csv",
        up_to_entry=newest,
    )
    response = StreamingHttpResponse(_csv_lines(entries), content_type="text/csv; charset=utf-8")
    filename = f"audit-trail-{timezone.localtime():%Y%m%d-%H%M%S}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
