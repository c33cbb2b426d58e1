"""The incident log: append-only, hash-chained per incident with a key held outside the
database, corrections as new entries; `verify-logs` passes on good data and names the entry that
was altered or removed, and holds the logs to published checkpoints. Triggers refuse UPDATE and
DELETE on both databases, TRUNCATE on PostgreSQL."""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from bluelamp.control import integrity
from bluelamp.control.incidents import log as incident_log
from bluelamp.control.integrity import verify_logs
from bluelamp.control.models import Incident, IncidentLogEntry
from bluelamp.core import audit_checkpoints
from bluelamp.core.errors import InvalidInput
from bluelamp.core.models import User
from tests.control.conftest import new_incident
from tests.core.test_audit import behind_the_triggers_back

pytestmark = pytest.mark.django_db


def _two_logged_incidents(handler: User) -> tuple[Incident, Incident]:
    first, second = new_incident(handler), new_incident(handler)
    for incident in (first, second):
        for text in ("Units informed", "Caller called back", "Ambulance on way"):
            incident_log.add_log_entry(actor=handler, incident=incident, text=text, position="CW dispatch 3")
    return first, second


def test_entries_chain_onto_the_one_before(handler: User) -> None:
    first, _ = _two_logged_incidents(handler)
    entries = list(first.log.order_by("pk"))
    assert entries[0].previous_hash == incident_log.GENESIS_HASH
    assert all(later.previous_hash == earlier.entry_hash for earlier, later in itertools.pairwise(entries))
    first.refresh_from_db()
    assert (first.log_length, first.last_log_hash) == (4, entries[-1].entry_hash)
    report = verify_logs(batch_size=3)  # several batches, crossing incidents
    assert (report.intact, report.checked, report.incidents) == (True, 8, 2)


def test_a_correction_is_a_new_entry_that_names_the_old_one(handler: User) -> None:
    incident = new_incident(handler)
    wrong = incident_log.add_log_entry(actor=handler, incident=incident, text="Suspect wearing red")
    fix = incident_log.add_log_entry(actor=handler, incident=incident, text="Suspect wearing blue", corrects=wrong)
    assert (fix.kind, fix.corrects, fix.data) == ("correction", wrong, {"corrects": wrong.pk})
    assert IncidentLogEntry.objects.get(pk=wrong.pk).text == "Suspect wearing red"
    other = new_incident(handler)
    with pytest.raises(InvalidInput, match="same incident"):
        incident_log.add_log_entry(actor=handler, incident=other, text="x", corrects=wrong)


def test_the_application_refuses_to_change_or_delete_entries(handler: User) -> None:
    entry = new_incident(handler).log.get()
    entry.text = "something else"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()
    with pytest.raises(ValueError, match="append-only"):
        IncidentLogEntry.objects.filter(pk=entry.pk).update(text="x")
    with pytest.raises(ValueError, match="append-only"):
        IncidentLogEntry.objects.all().delete()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE control_incidentlogentry SET text='Nothing happened' WHERE incident_id=%s",
        "DELETE FROM control_incidentlogentry WHERE incident_id=%s",
        "UPDATE control_incident SET log_length=1 WHERE id=%s",
    ],
)
def test_changing_a_log_with_sql_is_refused(handler: User, sql: str) -> None:
    _first, second = _two_logged_incidents(handler)
    with (
        pytest.raises(DatabaseError, match=r"append-only|only moves forward"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [second.pk])
    assert verify_logs().intact


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's; SQLite has none")
def test_truncating_the_log_is_refused_on_postgresql(handler: User) -> None:
    _two_logged_incidents(handler)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # check the test's own inserts now
    with pytest.raises(DatabaseError, match=r"TRUNCATE refused"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE control_incidentlogentry")
    assert IncidentLogEntry.objects.count() == 8


def test_an_edited_entry_is_named(handler: User) -> None:
    _first, second = _two_logged_incidents(handler)
    target = second.log.order_by("pk")[2]
    with behind_the_triggers_back() as cursor:
        cursor.execute("UPDATE control_incidentlogentry SET text='Nothing happened' WHERE id=%s", [target.pk])
    report = verify_logs()
    assert (report.first_broken, report.incident) == (target, second)
    assert report.reason == f"log entry {target.pk} of incident {second.pk} was changed after it was written"
    assert report.checked == 4 + 2  # the first incident's log, then the second's up to the change


def test_an_edit_with_recomputed_sha256_hashes_is_found(handler: User) -> None:
    """Someone with the SQL shell but not the key re-chains the log with plain SHA-256."""
    first, _ = _two_logged_incidents(handler)
    entries = list(first.log.order_by("pk"))
    with behind_the_triggers_back() as cursor:
        previous = entries[0].entry_hash
        for entry in entries[1:]:
            stored = IncidentLogEntry.objects.get(pk=entry.pk)
            stored.text, stored.previous_hash = "Nothing happened", previous
            content = {
                "incident_id": stored.incident_id,
                "at": stored.at.isoformat(),
                "operator_id": stored.operator_id,
                "operator_label": stored.operator_label,
                "position": stored.position,
                "kind": stored.kind,
                "text": stored.text,
                "data": stored.data,
                "corrects_id": stored.corrects_id,
                "previous_hash": stored.previous_hash,
            }
            text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
            previous = hashlib.sha256(text.encode("utf-8")).hexdigest()
            cursor.execute(
                "UPDATE control_incidentlogentry SET text=%s, previous_hash=%s, entry_hash=%s, key_id='' WHERE id=%s",
                [stored.text, stored.previous_hash, previous, entry.pk],
            )
        cursor.execute("UPDATE control_incident SET last_log_hash=%s WHERE id=%s", [previous, first.pk])
    report = verify_logs()
    assert report.first_broken == entries[1]
    assert report.reason.endswith("is not sealed with a key, unlike the entries before it")


def test_deleted_entries_are_found(handler: User) -> None:
    first, _ = _two_logged_incidents(handler)
    entries = list(first.log.order_by("pk"))
    with behind_the_triggers_back() as cursor:
        cursor.execute("DELETE FROM control_incidentlogentry WHERE id=%s", [entries[1].pk])
    report = verify_logs()
    assert report.first_broken == entries[2]
    assert f"does not follow entry {entries[0].pk}" in report.reason
    with behind_the_triggers_back() as cursor:
        cursor.execute("DELETE FROM control_incidentlogentry WHERE id>=%s", [entries[2].pk])
    report = verify_logs()
    assert report.first_broken == entries[0]
    assert f"records 4 log entries but 1 remain, ending at entry {entries[0].pk}" in report.reason


def test_a_key_holder_rewriting_a_checkpointed_log_is_found(handler: User) -> None:
    first, _ = _two_logged_incidents(handler)
    later = timezone.now() + integrity.SETTLED + timedelta(seconds=1)
    (path,) = [p for p in audit_checkpoints.publish(now=later) if p.name.startswith("incident-log")]
    assert verify_logs().intact
    entries = list(first.log.order_by("pk"))
    with behind_the_triggers_back() as cursor:  # re-sealed with the key: every link still holds
        previous = entries[0].entry_hash
        for entry in entries[1:]:
            stored = IncidentLogEntry.objects.get(pk=entry.pk)
            stored.text, stored.previous_hash = "Nothing happened", previous
            previous = incident_log.log_entry_hash(stored)
            cursor.execute(
                "UPDATE control_incidentlogentry SET text=%s, previous_hash=%s, entry_hash=%s WHERE id=%s",
                [stored.text, stored.previous_hash, previous, entry.pk],
            )
        cursor.execute("UPDATE control_incident SET last_log_hash=%s WHERE id=%s", [previous, first.pk])
    report = verify_logs()
    assert report.reason.startswith(f"the log entries up to entry {IncidentLogEntry.objects.order_by('pk').last().pk}")
    assert f"checkpoint {path.name} vouched for" in report.reason


def test_the_command_says_intact_or_names_the_entry(handler: User, capsys: pytest.CaptureFixture[str]) -> None:
    first, _ = _two_logged_incidents(handler)
    call_command("verify_logs")
    assert "Incident logs intact: 8 entries of 2 incidents checked" in capsys.readouterr().out
    target = first.log.order_by("pk")[1]
    with behind_the_triggers_back() as cursor:
        cursor.execute("UPDATE control_incidentlogentry SET position='x' WHERE id=%s", [target.pk])
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_logs")
    assert exit_.value.code == 1
    out = capsys.readouterr().out
    assert f"BROKEN at log entry #{target.pk} of {first.reference}" in out
    assert "was changed after it was written" in out


def test_publishing_refuses_to_continue_from_an_altered_checkpoint(handler: User) -> None:
    _two_logged_incidents(handler)
    later = timezone.now() + integrity.SETTLED + timedelta(seconds=1)
    (path,) = [p for p in audit_checkpoints.publish(now=later) if p.name.startswith("incident-log")]
    path.write_text(path.read_text().replace('"digest":"', '"digest":"0'))
    with pytest.raises(CommandError, match=f"Not published: checkpoint {path.name} "):
        call_command("publish_checkpoint")
    assert verify_logs().reason.startswith(f"checkpoint {path.name} ")
