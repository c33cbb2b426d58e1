"""insert_rows: what bulk_create would save, in one statement per batch the database takes.
update_rows: each row's own values, only the fields named, one statement.
select_rows: the rows the ORM would read, with the same values, in one statement."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bluelamp.control.models import Contact, Incident
from bluelamp.core.db.rows import insert_rows, placeholders, select_rows, update_rows
from bluelamp.core.models import AuditEntry, Force, OutboxEvent, User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("london")]


def _columns(row: Any) -> dict[str, object]:
    """A row's columns as the instance holds them."""
    return {field.attname: getattr(row, field.attname) for field in type(row)._meta.concrete_fields}


def _stored(row: Any) -> dict[str, object]:
    """A row's columns as the database holds them (read back through the ORM)."""
    return _columns(type(row)._default_manager.get(pk=row.pk))


def test_rows_are_saved_as_bulk_create_saves_them() -> None:
    """JSON, dates, an address in a GenericIPAddressField, auto_now_add, keys to other rows:
    insert_rows and bulk_create store the same values, and both leave the rows marked saved."""
    met = Force.objects.get(code="met")
    when = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)

    def entries(first: int) -> list[AuditEntry]:
        return [
            AuditEntry(
                at=when,
                operation="collection",
                actor_label="bench",
                force_id=met.pk,
                record_type="control.contact",
                record_ids=[str(number), "x"],
                ip_address="192.0.2.1" if number else None,
                details={"channel": "999", "nested": {"n": number}},
                previous_hash="0" * 64,
                entry_hash=f"{first + number:064d}",  # unique
            )
            for number in range(3)
        ]

    with CaptureQueriesContext(connection) as statements:
        ours = insert_rows(entries(0))
    assert len(statements.captured_queries) == 1
    theirs = AuditEntry.objects.bulk_create(entries(3))
    for mine, django in zip(ours, theirs, strict=True):
        assert mine.pk is not None
        assert not mine._state.adding
        assert mine._state.db == "default"
        ignored = {"id": None, "entry_hash": None}
        assert {**_stored(mine), **ignored} == {**_stored(django), **ignored}
    assert [row.pk for row in ours] == sorted(row.pk for row in ours)  # each row got its own key, in order

    before = timezone.now()
    (event,) = insert_rows([OutboxEvent(topic="test.happened", force=met, payload={"a": [1, 2]})])
    assert event.created_at >= before  # auto_now_add, as save() would set it
    assert _stored(event)["created_at"] == event.created_at
    assert _stored(event)["payload"] == {"a": [1, 2]}


def _incident_and_its_contact() -> tuple[Incident, Contact]:
    """A new incident, and a new contact made into it (neither saved)."""
    met, now = Force.objects.get(code="met"), timezone.now()
    incident = Incident(force=met, cad_day=now.date(), cad_number=1, created_at=now, description="A fight")
    contact = Contact(
        force=met, channel="999", received_at=now, description="A fight", incident=incident, outcome="incident"
    )
    return incident, contact


def test_a_key_is_copied_from_a_related_row_saved_after_it_was_assigned() -> None:
    incident, contact = _incident_and_its_contact()
    insert_rows([incident])  # saved after the contact was given it
    insert_rows([contact])
    assert Contact.objects.get(pk=contact.pk).incident_id == incident.pk


def test_an_unsaved_related_row_or_a_saved_row_is_refused_and_nothing_is_written() -> None:
    _, contact = _incident_and_its_contact()
    with pytest.raises(ValueError, match="unsaved related object"):
        insert_rows([contact])
    with pytest.raises(ValueError, match="saved already"):
        insert_rows([Force.objects.get(code="met")])
    assert not Contact.objects.exists()


def test_more_rows_than_one_statement_takes_are_all_saved() -> None:
    """SQLite takes at most 999 parameters a statement: 1,000 events of 5 columns need several."""
    events = [OutboxEvent(topic="test.many", payload={"n": number}) for number in range(1000)]
    insert_rows(events)
    stored = dict(OutboxEvent.objects.filter(topic="test.many").values_list("pk", "payload"))
    assert [stored[event.pk]["n"] for event in events] == list(range(1000))


def test_a_model_whose_key_the_database_does_not_give_is_refused() -> None:
    with pytest.raises(ValueError, match="automatic key"):
        insert_rows([Session(session_key="k", session_data="", expire_date=timezone.now())])
    assert not Session.objects.exists()


def test_no_new_rows_is_no_statement() -> None:
    with CaptureQueriesContext(connection) as statements:
        assert insert_rows([]) == []
    assert statements.captured_queries == []


def test_each_row_gets_its_own_values_and_nothing_else_changes() -> None:
    met, city = Force.objects.get(code="met"), Force.objects.get(code="city")
    users = [
        User.objects.create_user(username=f"u{i}", force=met, first_name="Old", last_name=f"L{i}") for i in range(4)
    ]
    changed, untouched = users[:3], users[3]
    when = dt.datetime(2026, 11, 26, 3, 0, tzinfo=dt.UTC)
    for number, user in enumerate(changed):
        user.first_name, user.force, user.last_login = f"New{number}", city, when + dt.timedelta(minutes=number)
        user.last_name = "not saved"  # not among the fields named
    gone = User(pk=untouched.pk + 1000, first_name="Nobody")  # never saved: counted out
    with CaptureQueriesContext(connection) as statements:
        updated = update_rows([*changed, gone], ["first_name", "force", "last_login"])
    assert len(statements.captured_queries) == 1
    assert updated == 3
    for number, user in enumerate(changed):
        saved = User.objects.get(pk=user.pk)
        assert (saved.first_name, saved.force_id) == (f"New{number}", city.pk)
        assert saved.last_login == when + dt.timedelta(minutes=number)
        assert saved.last_name == f"L{number}"
    saved = User.objects.get(pk=untouched.pk)
    assert (saved.first_name, saved.force_id, saved.last_login) == ("Old", met.pk, None)


def test_no_rows_is_no_statement() -> None:
    with CaptureQueriesContext(connection) as statements:
        assert update_rows([], ["first_name"]) == 0
    assert statements.captured_queries == []


def test_a_field_without_a_column_of_its_own_is_refused() -> None:
    user = User.objects.create_user(username="u9", force=Force.objects.get(code="met"))
    with pytest.raises(ValueError, match="groups has no column"):
        update_rows([user], ["groups"])


def test_rows_are_read_as_the_orm_reads_them() -> None:
    """JSON, aware dates, an address, a key to a user and a list of ids: select_rows gives the
    instances the ORM gives, saved and bound to their database, and a date parameter is
    compared as the ORM compares it."""
    met = Force.objects.get(code="met")
    user = User.objects.create_user(username="reader", password=None, force=met)
    base = dt.datetime(2026, 11, 26, 3, 0, 0, 123456, tzinfo=dt.UTC)
    insert_rows(
        [
            AuditEntry(
                at=base + dt.timedelta(minutes=number),
                operation="collection",
                actor=user if number else None,
                actor_label="reader",
                force_id=met.pk,
                record_type="control.contact",
                record_ids=[str(number)],
                ip_address="2001:db8::1" if number == 1 else None,
                details={"n": number, "nested": [True, None]},
                previous_hash="0" * 64,
                entry_hash=f"{number:064d}",
            )
            for number in range(4)
        ]
    )
    since = base + dt.timedelta(minutes=1)
    with CaptureQueriesContext(connection) as statements:
        ours = select_rows(AuditEntry, "at >= %s AND force_id = %s ORDER BY id DESC", [since, met.pk])
    assert len(statements.captured_queries) == 1
    theirs = list(AuditEntry.objects.filter(at__gte=since, force_id=met.pk).order_by("-id"))
    assert len(ours) == 3
    assert list(map(_columns, ours)) == list(map(_columns, theirs))
    assert ours[0].at.tzinfo is not None
    assert ours[-1].ip_address == "2001:db8::1"
    assert all(not row._state.adding and row._state.db == "default" for row in ours)
    assert ours[0].actor == user  # a key to another row, followed as the ORM follows it

    hashes = [f"{number:064d}" for number in (0, 3)]
    picked = select_rows(AuditEntry, f"entry_hash IN ({placeholders(hashes)}) ORDER BY id", hashes)
    assert [row.entry_hash for row in picked] == hashes
    assert select_rows(AuditEntry, "entry_hash = %s", ["none"]) == []


def test_a_lock_is_taken_only_inside_a_transaction() -> None:
    met = Force.objects.get(code="met")
    with transaction.atomic(), CaptureQueriesContext(connection) as statements:
        (locked,) = select_rows(Force, "id = %s", [met.pk], lock=True)
    assert locked == met
    if connection.features.has_select_for_update:
        assert statements.captured_queries[-1]["sql"].endswith("FOR UPDATE")


@pytest.mark.django_db(transaction=True)
def test_a_lock_outside_a_transaction_is_refused() -> None:
    with pytest.raises(transaction.TransactionManagementError, match="inside a transaction"):
        select_rows(Force, "code = %s", ["met"], lock=True)


def test_an_empty_in_list_is_refused_with_what_to_do() -> None:
    with pytest.raises(ValueError, match="leave the condition out"):
        placeholders([])
