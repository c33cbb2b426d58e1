"""The auditors' screens: search and CSV export of the audit trail, scoped by force, refused
without core.view_audit, and themselves audited with the auditor's reason."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.http import HttpResponse, StreamingHttpResponse
from django.test import Client
from django.utils import timezone

from bluelamp.core import audit
from bluelamp.core.models import AuditEntry, Force, Role, User
from bluelamp.core.services import seed_roles

pytestmark = pytest.mark.django_db

SEARCH = "/audit/"
EXPORT = "/audit/export.csv"
REASON = "SAR 2026/118 from the data subject"


def member(force: Force, username: str, *role_codes: str) -> User:
    user = User.objects.create_user(username=username, password="a-long-test-password", force=force)
    for code in role_codes:
        Role.objects.get(force=force, code=code).members.add(user)
    return user


@pytest.fixture
def met(london: None) -> Force:
    force = Force.objects.get(code="met")
    seed_roles(force=force)
    return force


@pytest.fixture
def city(london: None) -> Force:
    force = Force.objects.get(code="city")
    seed_roles(force=force)
    return force


@pytest.fixture
def met_auditor(met: Force) -> User:
    return member(met, "met.auditor", "auditor")


@pytest.fixture
def trail(met: Force, city: Force) -> dict[str, AuditEntry]:
    """A few entries in each force, written the way the apps write them."""
    met_hr, city_hr = member(met, "met.hr", "hr"), member(city, "city.hr", "hr")
    return {
        "met_view": audit.record(
            operation="consultation",
            actor=met_hr,
            record_type="business.person",
            record_ids=[17],
            justification="Checking vetting expiry",
        ),
        "met_other": audit.record(
            operation="alteration", actor=met_hr, record_type="business.person", record_ids=[170]
        ),
        "met_disclosure": audit.record(
            operation="disclosure",
            actor=met_hr,
            record_type="business.person",
            record_ids=[17],
            justification="Court order 2026/17",
            recipients=["Crown Prosecution Service"],
        ),
        "city_view": audit.record(
            operation="consultation",
            actor=city_hr,
            record_type="business.person",
            record_ids=[17],
            justification="City welfare check",
        ),
    }


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def searches_by(user: User) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(record_type="core.auditentry", actor=user))


def shown_ids(response: HttpResponse) -> set[int]:
    return {row.entry.pk for row in response.context["rows"]}


def csv_rows(response: StreamingHttpResponse) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")  # type: ignore[arg-type]
    return list(csv.reader(io.StringIO(body)))


# Who may search


def test_signed_out_visitors_are_sent_to_sign_in(client: Client) -> None:
    for url in (SEARCH, EXPORT):
        response = client.get(url, {"reason": REASON})
        assert response.status_code == 302
        assert response["Location"].startswith("/sign-in/?next=")


@pytest.mark.usefixtures("trail")
def test_staff_without_view_audit_are_refused(met: Force) -> None:
    hr = member(met, "met.hr2", "hr")
    client = signed_in(hr)
    for url in (SEARCH, EXPORT):
        response = client.get(url, {"reason": REASON})
        assert response.status_code == 403
        assert "Your role does not allow this" in response.content.decode()
    assert searches_by(hr) == []


def test_the_empty_form_shows_no_results_and_records_nothing(met_auditor: User) -> None:
    response = signed_in(met_auditor).get(SEARCH)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Search the audit trail" in page
    assert "govuk-error-summary" not in page
    assert "Results" not in page
    assert response["Cache-Control"].startswith("max-age=0")
    assert searches_by(met_auditor) == []


# The reason


@pytest.mark.usefixtures("trail")
@pytest.mark.parametrize("reason", ["", "   "])
def test_a_search_without_a_reason_shows_the_error_summary_and_no_results(met_auditor: User, reason: str) -> None:
    response = signed_in(met_auditor).get(SEARCH, {"record_type": "business.person", "reason": reason})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: Search the audit trail" in page
    assert 'class="govuk-error-summary"' in page
    assert '<a href="#id_reason">Enter the reason for this search</a>' in page
    assert 'aria-describedby="id_reason-hint id_reason-error"' in page
    assert "rows" not in response.context
    assert searches_by(met_auditor) == []


def test_a_search_is_itself_audited_with_the_reason(met_auditor: User, trail: dict[str, AuditEntry]) -> None:
    response = signed_in(met_auditor).get(
        SEARCH, {"record_type": "business.person", "record_id": "17", "reason": REASON}, REMOTE_ADDR="198.51.100.4"
    )
    assert response.status_code == 200
    (search,) = searches_by(met_auditor)
    assert search.operation == "consultation"
    assert search.justification == REASON
    assert search.force == met_auditor.force
    assert search.record_ids == [str(trail["met_disclosure"].pk), str(trail["met_view"].pk)]
    assert search.details == {
        "filters": {"record_type": "business.person", "record_id": "17"},
        "page": 1,
        "matching": 2,
    }
    assert (search.ip_address, search.request_id) == ("198.51.100.4", response["X-Request-ID"])
    assert audit.verify_chain().intact


# What an auditor sees


def test_an_auditor_sees_only_their_own_forces_entries(met_auditor: User, trail: dict[str, AuditEntry]) -> None:
    response = signed_in(met_auditor).get(SEARCH, {"reason": REASON})
    met_ids = {trail[k].pk for k in ("met_view", "met_other", "met_disclosure")}
    assert shown_ids(response) >= met_ids
    assert trail["city_view"].pk not in shown_ids(response)
    assert "City welfare check" not in response.content.decode()


def test_a_city_auditor_does_not_see_the_mets_entries(city: Force, trail: dict[str, AuditEntry]) -> None:
    city_auditor = member(city, "city.auditor", "auditor")
    response = signed_in(city_auditor).get(
        SEARCH, {"record_id": "17", "record_type": "business.person", "reason": REASON}
    )
    assert shown_ids(response) == {trail["city_view"].pk}


def test_a_national_role_sees_every_force(met: Force, trail: dict[str, AuditEntry]) -> None:
    national = member(met, "national.admin", "national_admin")
    response = signed_in(national).get(SEARCH, {"record_type": "business.person", "reason": REASON})
    assert shown_ids(response) == {entry.pk for entry in trail.values()}
    page = response.content.decode()
    assert '<th scope="col" class="govuk-table__header">Force</th>' in page
    assert '<td class="govuk-table__cell">City of London</td>' in page
    assert '<td class="govuk-table__cell">Met</td>' in page


def test_a_national_search_is_recorded_in_each_force_whose_entries_it_showed(
    met: Force, city: Force, trail: dict[str, AuditEntry]
) -> None:
    national = member(met, "national.admin", "national_admin")
    signed_in(national).get(SEARCH, {"record_type": "business.person", "reason": REASON})
    by_force = {entry.force.code: entry for entry in searches_by(national) if entry.force}
    assert set(by_force) == {"met", "city"}
    assert by_force["city"].record_ids == [str(trail["city_view"].pk)]
    assert by_force["city"].justification == REASON
    city_auditor = member(city, "city.auditor", "auditor")
    seen = signed_in(city_auditor).get(SEARCH, {"username": "national.admin", "reason": REASON})
    assert shown_ids(seen) == {by_force["city"].pk}


def test_a_national_export_is_recorded_in_each_force_with_its_count(met: Force, trail: dict[str, AuditEntry]) -> None:
    national = member(met, "national.admin", "national_admin")
    response = signed_in(national).get(EXPORT, {"record_type": "business.person", "reason": REASON})
    assert len(csv_rows(response)) == 1 + 4
    counts = {entry.force.code: entry.details["exported"] for entry in searches_by(national) if entry.force}
    assert counts == {"met": 3, "city": 1}


def test_results_show_who_what_why_and_from_where(met_auditor: User, trail: dict[str, AuditEntry]) -> None:
    response = signed_in(met_auditor).get(SEARCH, {"operation": "disclosure", "reason": REASON})
    page = response.content.decode()
    assert shown_ids(response) == {trail["met_disclosure"].pk}
    for text in ("Disclosure", "met.hr", "business.person 17", "Court order 2026/17", "Crown Prosecution Service"):
        assert text in page
    assert "Download all 1 as CSV" in page


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"record_type": "business.person", "record_id": "17"}, {"met_view", "met_disclosure"}),
        ({"record_type": "business.person", "record_id": "170"}, {"met_other"}),
        ({"record_type": "business.person", "record_id": "1"}, set()),
        ({"username": "met.hr"}, {"met_view", "met_other", "met_disclosure"}),
        ({"username": "city.hr"}, set()),
        ({"operation": "alteration"}, {"met_other"}),
        ({"record_type": "pole.person"}, set()),
    ],
)
def test_filters(met_auditor: User, trail: dict[str, AuditEntry], filters: dict[str, str], expected: set[str]) -> None:
    response = signed_in(met_auditor).get(SEARCH, {**filters, "reason": REASON})
    assert shown_ids(response) == {trail[name].pk for name in expected}


def test_date_filters_use_whole_days_in_london_time(met_auditor: User, trail: dict[str, AuditEntry]) -> None:
    today = timezone.localdate()
    client = signed_in(met_auditor)
    day = {"record_type": "business.person", "reason": REASON}
    met_ids = {trail[k].pk for k in ("met_view", "met_other", "met_disclosure")}
    same_day = client.get(SEARCH, {**day, "date_from": f"{today:%d/%m/%Y}", "date_to": f"{today:%d/%m/%Y}"})
    assert shown_ids(same_day) == met_ids
    assert shown_ids(client.get(SEARCH, {**day, "date_from": f"{today + timedelta(days=1):%Y-%m-%d}"})) == set()
    assert shown_ids(client.get(SEARCH, {**day, "date_to": f"{today - timedelta(days=1):%d/%m/%Y}"})) == set()


def test_a_day_is_a_london_day(met: Force, monkeypatch: pytest.MonkeyPatch) -> None:
    # 00:30 on 2 July in London (BST) is 23:30 on 1 July in UTC: the entry belongs to 2 July.
    london_time = datetime(2026, 7, 2, 0, 30, tzinfo=ZoneInfo("Europe/London"))
    monkeypatch.setattr(audit.timezone, "now", lambda: london_time.astimezone(UTC))
    entry = audit.record(operation="collection", actor=None, record_type="business.person", record_ids=[5])
    monkeypatch.undo()
    national = member(met, "national.two", "national_admin")

    def found_on(day: date) -> list[AuditEntry]:
        criteria = audit.AuditSearch(record_type="business.person", record_id="5", date_from=day, date_to=day)
        return list(audit.search(national, criteria))

    assert found_on(date(2026, 7, 2)) == [entry]
    assert found_on(date(2026, 7, 1)) == []


@pytest.mark.parametrize(
    ("filters", "error", "anchor"),
    [
        ({"date_from": "31/02/2026"}, "The from date must be a real date. For example, 17/5/2026", "id_date_from"),
        ({"date_to": "tomorrow"}, "The to date must be a real date. For example, 17/5/2026", "id_date_to"),
        (
            {"date_from": "2/5/2026", "date_to": "1/5/2026"},
            "The to date must be the same as or after the from date",
            "id_date_to",
        ),
        ({"record_id": "17"}, "Enter the type of the record, for example business.person", "id_record_type"),
        ({"operation": "peek"}, "Select a valid choice. peek is not one of the available choices.", "id_operation"),
    ],
)
def test_invalid_filters_are_explained(met_auditor: User, filters: dict[str, str], error: str, anchor: str) -> None:
    response = signed_in(met_auditor).get(SEARCH, {**filters, "reason": REASON})
    page = response.content.decode()
    assert f'<a href="#{anchor}">{error}</a>' in page
    assert "rows" not in response.context
    assert searches_by(met_auditor) == []


def test_results_come_fifty_to_a_page_and_each_page_is_audited(met_auditor: User) -> None:
    for number in range(55):
        audit.record(operation="collection", actor=met_auditor, record_type="test.thing", record_ids=[number])
    client = signed_in(met_auditor)
    first = client.get(SEARCH, {"record_type": "test.thing", "reason": REASON})
    assert len(first.context["rows"]) == 50
    page = first.content.decode()
    assert "Showing entries 1 to 50 of 55, newest first." in page
    assert 'class="govuk-pagination"' in page
    assert "page=2" in first.context["pager"]["next"]
    second = client.get(SEARCH + first.context["pager"]["next"])
    assert len(second.context["rows"]) == 5
    assert "page=1" in second.context["pager"]["prev"]
    first_search, second_search = searches_by(met_auditor)
    assert len(first_search.record_ids) == 50
    assert len(second_search.record_ids) == 5
    assert second_search.details["page"] == 2
    assert set(first_search.record_ids).isdisjoint(second_search.record_ids)


def test_long_ids_can_wrap_in_the_table(met_auditor: User) -> None:
    client = signed_in(met_auditor)
    client.get(SEARCH, {"reason": REASON}, HTTP_X_REQUEST_ID="abcdef0123456789abcdef")
    page = client.get(SEARCH, {"record_type": "core.auditentry", "reason": REASON}).content.decode()
    assert "abcdef01<wbr>23456789<wbr>abcdef" in page


# CSV export


def test_export_streams_the_whole_filtered_result_and_is_audited(
    met_auditor: User, trail: dict[str, AuditEntry]
) -> None:
    response = signed_in(met_auditor).get(EXPORT, {"record_type": "business.person", "reason": REASON})
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-trail-')
    header, *rows = csv_rows(response)
    assert header == audit_views_header()
    assert [int(row[0]) for row in rows] == [trail[k].pk for k in ("met_view", "met_other", "met_disclosure")]
    disclosure = dict(zip(header, rows[2], strict=True))
    assert disclosure["operation"] == "disclosure"
    assert disclosure["who"] == "met.hr"
    assert disclosure["force"] == "met"
    assert disclosure["record ids"] == "17"
    assert disclosure["recipients"] == "Crown Prosecution Service"
    assert disclosure["entry hash"] == trail["met_disclosure"].entry_hash
    (export,) = searches_by(met_auditor)
    assert export.justification == REASON
    assert export.record_ids == []
    assert export.details == {
        "filters": {"record_type": "business.person"},
        "export": "csv",
        "exported": 3,
        "up_to_entry": trail["met_disclosure"].pk,
    }


def audit_views_header() -> list[str]:
    from bluelamp.core.audit_views import CSV_HEADER

    return CSV_HEADER


def test_export_is_scoped_to_the_auditors_force(city: Force, trail: dict[str, AuditEntry]) -> None:
    city_auditor = member(city, "city.auditor", "auditor")
    _, *rows = csv_rows(signed_in(city_auditor).get(EXPORT, {"reason": REASON}))
    assert [int(row[0]) for row in rows] == [trail["city_view"].pk]


def test_export_reads_in_batches(met_auditor: User, monkeypatch: pytest.MonkeyPatch) -> None:
    from bluelamp.core import audit_views

    monkeypatch.setattr(audit_views, "EXPORT_BATCH", 3)
    made = [
        audit.record(operation="collection", actor=met_auditor, record_type="test.thing", record_ids=[n]).pk
        for n in range(8)
    ]
    response = signed_in(met_auditor).get(EXPORT, {"record_type": "test.thing", "reason": REASON})
    assert [int(row[0]) for row in csv_rows(response)[1:]] == made


def test_export_neutralises_spreadsheet_formulas(met_auditor: User) -> None:
    audit.record(
        operation="disclosure",
        actor=met_auditor,
        record_type="test.thing",
        record_ids=[1],
        justification='=HYPERLINK("http://example.invalid","click")',
        recipients=["@partner", "Safe name"],
    )
    response = signed_in(met_auditor).get(EXPORT, {"record_type": "test.thing", "reason": REASON})
    header, row = csv_rows(response)
    cells = dict(zip(header, row, strict=True))
    assert cells["justification"] == '\'=HYPERLINK("http://example.invalid","click")'
    assert cells["recipients"] == "'@partner; Safe name"


def test_export_without_a_reason_shows_the_form_with_the_error(met_auditor: User) -> None:
    response = signed_in(met_auditor).get(EXPORT, {"record_type": "business.person"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Enter the reason for this search" in response.content.decode()
    assert searches_by(met_auditor) == []


def test_the_csv_link_carries_the_search(met_auditor: User, trail: dict[str, Any]) -> None:
    response = signed_in(met_auditor).get(SEARCH, {"operation": "disclosure", "reason": REASON, "page": "1"})
    assert (
        response.context["export_url"]
        == "/audit/export.csv?operation=disclosure&reason=SAR+2026%2F118+from+the+data+subject"
    )


# The admin site never changes the trail


def test_the_admin_cannot_add_change_or_delete_entries(trail: dict[str, AuditEntry]) -> None:
    admin = User.objects.create_superuser(
        username="root", email="root@example.invalid", password="a-long-test-password"
    )
    client = signed_in(admin)
    entry = trail["met_view"]
    assert client.get("/admin/core/auditentry/add/").status_code in {403, 404}
    client.post(f"/admin/core/auditentry/{entry.pk}/change/", {"justification": "edited"})
    client.post(f"/admin/core/auditentry/{entry.pk}/delete/", {"post": "yes"})
    client.post("/admin/core/auditentry/", {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})
    assert AuditEntry.objects.get(pk=entry.pk).justification == "Checking vetting expiry"
    assert audit.verify_chain().intact


def test_entries_without_an_account_are_found_by_their_label(met: Force) -> None:
    national = member(met, "national.admin", "national_admin")
    scheduled = audit.record(operation="erasure", actor=None, record_type="business.person", record_ids=['a"b'])
    response = signed_in(national).get(SEARCH, {"username": "system", "reason": REASON})
    assert shown_ids(response) == {scheduled.pk}
    by_quoted_id = signed_in(national).get(
        SEARCH, {"record_type": "business.person", "record_id": 'a"b', "reason": REASON}
    )
    assert shown_ids(by_quoted_id) == {scheduled.pk}


def test_many_pages_are_linked_with_gaps() -> None:
    from django.core.paginator import Paginator
    from django.test import RequestFactory

    from bluelamp.core.pagination import page_links

    request = RequestFactory().get(SEARCH, {"reason": REASON, "page": "5"})
    page = Paginator(list(range(500)), 50).get_page(5)
    pager = page_links(request, page)  # type: ignore[arg-type]
    numbers = [link.get("number", "…") for link in pager["links"]]
    assert numbers == [1, "…", 4, 5, 6, "…", 10]
    assert pager["prev"] == "?reason=SAR+2026%2F118+from+the+data+subject&page=4"
    assert [link["current"] for link in pager["links"] if "number" in link] == [False, False, True, False, False]
