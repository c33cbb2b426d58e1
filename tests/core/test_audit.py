"""The audit trail (DPA 2018 s.62): what record() accepts, the hash chain, the database's
refusal to change entries, and `verify-audit` naming the first broken entry.

Tests that tamper with the table first switch the triggers off, as someone who owns the tables
could, and check that verify_chain finds what they did.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from bluelamp.core import audit, requestcontext
from bluelamp.core.db import append_only
from bluelamp.core.errors import InvalidInput
from bluelamp.core.models import AuditChainHead, AuditEntry, Force, User

pytestmark = pytest.mark.django_db


@contextmanager
def request_from(request_id: str, ip_address: str | None) -> Iterator[None]:
    token = requestcontext._current.set(requestcontext.RequestContext(request_id=request_id, ip_address=ip_address))
    try:
        yield
    finally:
        requestcontext._current.reset(token)


@contextmanager
def behind_the_triggers_back() -> Iterator[CursorWrapper]:
    """Raw SQL from someone who owns the tables. They must first switch the triggers off: on
    PostgreSQL for their session (replication role), on SQLite by dropping them."""
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgresql:
            cursor.execute("SET session_replication_role = replica")
            try:
                yield cursor
            finally:
                cursor.execute("SET session_replication_role = DEFAULT")
        else:
            with append_only.lifted(connection):
                yield cursor


def write(count: int, **overrides: Any) -> list[AuditEntry]:
    fields: dict[str, Any] = {
        "operation": "collection",
        "actor": None,
        "record_type": "business.person",
        "record_ids": [17],
    }
    fields.update(overrides)
    return [audit.record(**fields) for _ in range(count)]


@pytest.fixture
def user() -> User:
    force = Force.objects.create(code="testforce", name="Test Constabulary")
    return User.objects.create_user(username="pc1234", password="a-long-test-password", force=force)


# record()


def test_each_entry_carries_the_hash_of_the_one_before() -> None:
    head = AuditChainHead.objects.filter(pk=1).first()
    before = head.last_hash if head else audit.GENESIS_HASH
    first, second, third = write(3)
    assert first.previous_hash == before
    assert second.previous_hash == first.entry_hash
    assert third.previous_hash == second.entry_hash
    assert len({first.entry_hash, second.entry_hash, third.entry_hash}) == 3
    head = AuditChainHead.objects.get(pk=1)
    assert (head.last_hash, head.last_entry_id) == (third.entry_hash, third.pk)


def test_an_entry_records_who_when_which_records_and_from_where(user: User) -> None:
    with request_from("req-12345678", "2001:DB8::7"):
        entry = audit.record(
            operation="consultation",
            actor=user,
            record_type="business.person",
            record_ids=[17, 18],
            justification="  Welfare check after call CAD 4711  ",
            details={"screen": "person"},
        )
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.actor, stored.actor_label, stored.force) == (user, "pc1234", user.force)
    assert stored.record_ids == ["17", "18"]
    assert stored.justification == "Welfare check after call CAD 4711"
    assert (stored.request_id, stored.ip_address) == ("req-12345678", "2001:db8::7")
    assert abs((timezone.now() - stored.at).total_seconds()) < 60
    assert audit.entry_hash(stored) == stored.entry_hash  # unchanged by the round trip


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("::ffff:10.0.0.1", "::ffff:10.0.0.1"),
        ("::1.2.3.4", "1.2.3.4"),
        ("fe80::1%eth0", "fe80::1"),
        ("unix:/run/bluelamp.sock", None),
        ("", None),
        (None, None),
    ],
)
def test_ip_addresses_are_stored_so_the_hash_survives_the_database(raw: str | None, stored: str | None) -> None:
    with request_from("req-12345678", raw):
        (entry,) = write(1)
    reloaded = AuditEntry.objects.get(pk=entry.pk)
    assert reloaded.ip_address == stored
    assert audit.entry_hash(reloaded) == entry.entry_hash


def test_an_unknown_operation_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not an audit operation"):
        audit.record(operation="peek", actor=None, record_type="business.person", record_ids=[1])


@pytest.mark.parametrize(
    ("justification", "recipients"),
    [("", ["Home Office"]), ("   ", ["Home Office"]), ("Court order 2026/17", [])],
)
def test_a_disclosure_needs_a_justification_and_recipients(justification: str, recipients: list[str]) -> None:
    with pytest.raises(InvalidInput, match="justification and at least one recipient"):
        audit.record(
            operation="disclosure",
            actor=None,
            record_type="business.person",
            record_ids=[17],
            justification=justification,
            recipients=recipients,
        )
    assert not AuditEntry.objects.filter(operation="disclosure").exists()


def test_a_disclosure_records_its_recipients() -> None:
    entry = audit.record(
        operation="disclosure",
        actor=None,
        record_type="business.person",
        record_ids=[17],
        justification="Court order 2026/17",
        recipients=["Crown Prosecution Service", "Home Office"],
    )
    assert AuditEntry.objects.get(pk=entry.pk).recipients == ["Crown Prosecution Service", "Home Office"]


@pytest.mark.parametrize("record_type", ["business.person", "pole.person", "core.auditentry"])
def test_consulting_a_person_record_needs_a_justification(record_type: str) -> None:
    for justification in ("", "   "):
        with pytest.raises(InvalidInput, match="Say why"):
            audit.record(
                operation="consultation",
                actor=None,
                record_type=record_type,
                record_ids=[17],
                justification=justification,
            )


def test_consulting_other_records_needs_no_justification() -> None:
    entry = audit.record(operation="consultation", actor=None, record_type="business.unit", record_ids=[3])
    assert entry.pk is not None


def test_an_entry_cannot_be_changed_or_deleted_through_the_model() -> None:
    (entry,) = write(1)
    entry.justification = "changed"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="never deleted"):
        entry.delete()
    assert AuditEntry.objects.get(pk=entry.pk).justification == ""


# The database refuses changes on both SQLite and PostgreSQL.


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE core_auditentry SET justification='x' WHERE id >= %s",
        "DELETE FROM core_auditentry WHERE id >= %s",
        "UPDATE core_auditchainhead SET last_entry_id = 0 WHERE last_entry_id >= %s",
        "DELETE FROM core_auditchainhead WHERE last_entry_id >= %s",
    ],
)
def test_changing_entries_or_moving_the_head_back_with_sql_is_refused(sql: str) -> None:
    entries = write(3)
    with (
        pytest.raises(DatabaseError, match=r"append-only|only moves forward|never deleted|refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [entries[1].pk])
    assert list(AuditEntry.objects.order_by("pk")) == entries
    assert audit.verify_chain().intact


def test_moving_the_head_forward_is_allowed() -> None:
    write(2)
    (third,) = write(1)
    assert AuditChainHead.objects.get(pk=1).last_entry_id == third.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's; SQLite has none")
@pytest.mark.parametrize("table", ["core_auditentry", "core_auditchainhead"])
def test_truncate_is_refused_on_postgresql(table: str) -> None:
    write(2)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # check the test's own inserts now
    with pytest.raises(DatabaseError, match=r"TRUNCATE refused"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table} CASCADE")
    assert AuditEntry.objects.count() == 2


def test_a_queryset_update_is_refused() -> None:
    entries = write(2)
    with pytest.raises(ValueError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entries[0].pk).update(justification="tidied")
    assert audit.verify_chain().intact


# verify_chain: each kind of tampering, done behind the trigger's back on both databases.


def test_an_untouched_trail_verifies_in_batches() -> None:
    entries = write(7)
    seen: list[int] = []
    report = audit.verify_chain(batch_size=2, progress=seen.append)
    assert report.intact
    assert report.reason == ""
    assert report.checked == AuditEntry.objects.count() >= 7
    assert report.newest_hash == entries[-1].entry_hash
    assert seen
    assert seen == sorted(seen)


def test_an_empty_trail_is_intact() -> None:
    assert not AuditEntry.objects.exists()
    report = audit.verify_chain()
    assert (report.intact, report.checked, report.first_broken) == (True, 0, None)


def test_a_changed_field_names_the_entry() -> None:
    entries = write(5)
    with behind_the_triggers_back() as cursor:
        cursor.execute("UPDATE core_auditentry SET record_ids=%s WHERE id=%s", ['["99"]', entries[2].pk])
    report = audit.verify_chain(batch_size=2)
    assert report.first_broken == entries[2]
    assert not report.intact
    when = f"{timezone.localtime(entries[2].at):%Y-%m-%d %H:%M:%S}"
    assert report.reason == f"entry {entries[2].pk} ({when}) was changed after it was written"


def test_a_recomputed_hash_does_not_hide_a_change() -> None:
    """Someone who changes an entry and recomputes its hash breaks the link to the next one."""
    entries = write(3)
    forged = AuditEntry.objects.get(pk=entries[1].pk)
    forged.justification = "nothing to see"
    new_hash = audit.entry_hash(forged)
    with behind_the_triggers_back() as cursor:
        cursor.execute(
            "UPDATE core_auditentry SET justification=%s, entry_hash=%s WHERE id=%s",
            ["nothing to see", new_hash, entries[1].pk],
        )
    report = audit.verify_chain()
    assert report.first_broken == entries[2]
    assert report.reason == (
        f"entry {entries[2].pk} does not follow entry {entries[1].pk}: an entry between them was removed or replaced"
    )


def test_a_removed_entry_in_the_middle_is_named() -> None:
    entries = write(4)
    with behind_the_triggers_back() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id=%s", [entries[1].pk])
    report = audit.verify_chain()
    assert report.first_broken == entries[2]
    assert report.reason.startswith(f"entry {entries[2].pk} does not follow entry {entries[0].pk}")


def test_removing_the_oldest_entries_is_detected() -> None:
    entries = write(3)
    with behind_the_triggers_back() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id <= %s", [entries[0].pk])
    report = audit.verify_chain()
    assert report.first_broken == entries[1]
    assert report.reason.endswith("is not the first entry written: earlier entries were removed")


def test_removing_the_newest_entries_is_detected() -> None:
    entries = write(3)
    with behind_the_triggers_back() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id >= %s", [entries[1].pk])
    report = audit.verify_chain()
    assert report.first_broken == entries[0]
    assert f"the entries after {entries[0].pk} were removed" in report.reason


def test_removing_every_entry_is_detected() -> None:
    entries = write(2)
    with behind_the_triggers_back() as cursor:
        cursor.execute("DELETE FROM core_auditentry")
    report = audit.verify_chain()
    assert not report.intact
    assert report.first_broken is None
    assert f"there are no entries, but the chain head records entry {entries[1].pk}" in report.reason


def test_replacing_the_newest_entry_is_detected() -> None:
    entries = write(2)
    forged = AuditEntry.objects.get(pk=entries[1].pk)
    forged.record_ids = ["18"]
    with behind_the_triggers_back() as cursor:
        cursor.execute(
            "UPDATE core_auditentry SET record_ids=%s, entry_hash=%s WHERE id=%s",
            ['["18"]', audit.entry_hash(forged), entries[1].pk],
        )
    report = audit.verify_chain()
    assert report.first_broken == entries[1]
    assert report.reason == f"entry {entries[1].pk} is not the entry the chain head records: it was replaced"


def test_an_entry_written_around_record_is_detected() -> None:
    (last,) = write(1)
    stray = AuditEntry(
        at=timezone.now(),
        operation="erasure",
        actor_label="someone",
        record_type="business.person",
        record_ids=["17"],
        previous_hash=last.entry_hash,
    )
    stray.entry_hash = audit.entry_hash(stray)
    (stray,) = AuditEntry.objects.bulk_create([stray])  # bypasses record() and the chain head
    report = audit.verify_chain()
    assert report.first_broken is not None
    assert report.first_broken.pk == stray.pk
    assert report.reason.endswith("is not in the chain: it was written behind the application's back")


def test_a_removed_chain_head_is_detected() -> None:
    write(2)
    with behind_the_triggers_back():
        AuditChainHead.objects.all().delete()
    report = audit.verify_chain()
    assert report.reason == "the chain head, which records the newest entry, was removed"


def test_the_next_entry_after_a_removed_head_does_not_follow() -> None:
    entries = write(2)
    with behind_the_triggers_back():
        AuditChainHead.objects.all().delete()
    (after,) = write(1)
    report = audit.verify_chain()
    assert report.first_broken == after
    assert report.reason.startswith(f"entry {after.pk} does not follow entry {entries[1].pk}")


# bluelamp verify-audit


def test_verify_audit_reports_an_intact_trail() -> None:
    write(3)
    out = StringIO()
    call_command("verify_audit", stdout=out)
    count = AuditEntry.objects.count()
    assert f"Audit trail intact: {count:,} entries checked" in out.getvalue()
    assert AuditChainHead.objects.get(pk=1).last_hash in out.getvalue()


def test_verify_audit_names_the_first_broken_entry_and_exits_1() -> None:
    entries = write(3, operation="consultation", justification="Welfare check")
    with behind_the_triggers_back() as cursor:
        cursor.execute("UPDATE core_auditentry SET justification='x' WHERE id=%s", [entries[1].pk])
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit", "--batch-size", "1", stdout=out)
    assert exit_info.value.code == 1
    when = f"{timezone.localtime(entries[1].at):%Y-%m-%d %H:%M:%S}"
    assert (
        f"BROKEN at entry #{entries[1].pk} ({when}, consultation, business.person 17): "
        f"entry {entries[1].pk} ({when}) was changed after it was written"
    ) in out.getvalue()


def test_verify_audit_shortens_long_lists_of_record_ids() -> None:
    write(1, record_type="core.auditentry", operation="consultation", justification="Audit", record_ids=range(1, 51))
    with behind_the_triggers_back():
        AuditChainHead.objects.all().delete()
    write(1, record_type="core.auditentry", operation="consultation", justification="Audit", record_ids=range(1, 51))
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("verify_audit", stdout=out)
    assert "core.auditentry 1 2 3 4 5 and 45 more" in out.getvalue()


def test_verify_audit_reports_a_removed_chain_head() -> None:
    write(1)
    with behind_the_triggers_back():
        AuditChainHead.objects.all().delete()
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("verify_audit", stdout=out)
    assert "BROKEN in the chain head: the chain head, which records the newest entry, was removed" in out.getvalue()
