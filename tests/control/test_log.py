"""The incident log: append-only, hash-chained per incident, corrections as new entries;
`verify-logs` passes on good data and names the entry that was altered or removed. On
PostgreSQL a trigger refuses UPDATE and DELETE outright."""

from __future__ import annotations

import itertools

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from bluelamp.control import services
from bluelamp.control.integrity import verify_logs
from bluelamp.control.models import Incident, IncidentLogEntry
from bluelamp.core.errors import InvalidInput
from bluelamp.core.models import User
from tests.control.conftest import new_incident

pytestmark = pytest.mark.django_db


def _two_logged_incidents(handler: User) -> tuple[Incident, Incident]:
    first, second = new_incident(handler), new_incident(handler)
    for incident in (first, second):
        for text in ("Units informed", "Caller called back", "Ambulance on way"):
            services.add_log_entry(actor=handler, incident=incident, text=text, position="CW dispatch 3")
    return first, second


def test_entries_chain_onto_the_one_before(handler: User) -> None:
    first, _ = _two_logged_incidents(handler)
    entries = list(first.log.order_by("pk"))
    assert entries[0].previous_hash == services.GENESIS_HASH
    assert all(later.previous_hash == earlier.entry_hash for earlier, later in itertools.pairwise(entries))
    first.refresh_from_db()
    assert (first.log_length, first.last_log_hash) == (4, entries[-1].entry_hash)
    report = verify_logs(batch_size=3)  # several batches, crossing incidents
    assert (report.intact, report.checked, report.incidents) == (True, 8, 2)


def test_a_correction_is_a_new_entry_that_names_the_old_one(handler: User) -> None:
    incident = new_incident(handler)
    wrong = services.add_log_entry(actor=handler, incident=incident, text="Suspect wearing red")
    fix = services.add_log_entry(actor=handler, incident=incident, text="Suspect wearing blue", corrects=wrong)
    assert (fix.kind, fix.corrects, fix.data) == ("correction", wrong, {"corrects": wrong.pk})
    assert IncidentLogEntry.objects.get(pk=wrong.pk).text == "Suspect wearing red"
    other = new_incident(handler)
    with pytest.raises(InvalidInput, match="same incident"):
        services.add_log_entry(actor=handler, incident=other, text="x", corrects=wrong)


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


def test_editing_an_entry_with_sql_is_refused_on_postgresql_and_named_on_sqlite(handler: User) -> None:
    _first, second = _two_logged_incidents(handler)
    target = second.log.order_by("pk")[2]
    sql = "UPDATE control_incidentlogentry SET text='Nothing happened' WHERE id=%s"
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [target.pk])
        assert verify_logs().intact
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, [target.pk])
        report = verify_logs()
        assert (report.first_broken, report.incident) == (target, second)
        assert report.reason == f"log entry {target.pk} of incident {second.pk} was changed after it was written"
        assert report.checked == 4 + 2  # the first incident's log, then the second's up to the change


def test_deleting_entries_with_sql_is_refused_on_postgresql_and_found_on_sqlite(handler: User) -> None:
    first, _ = _two_logged_incidents(handler)
    entries = list(first.log.order_by("pk"))
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM control_incidentlogentry WHERE id=%s", [entries[1].pk])
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM control_incidentlogentry WHERE id=%s", [entries[1].pk])
    report = verify_logs()
    assert report.first_broken == entries[2]
    assert f"does not follow entry {entries[0].pk}" in report.reason
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM control_incidentlogentry WHERE id>=%s", [entries[2].pk])
    report = verify_logs()
    assert report.first_broken == entries[0]
    assert f"records 4 log entries but 1 remain, ending at entry {entries[0].pk}" in report.reason


def test_the_command_says_intact_or_names_the_entry(handler: User, capsys: pytest.CaptureFixture[str]) -> None:
    first, _ = _two_logged_incidents(handler)
    call_command("verify_logs")
    assert "Incident logs intact: 8 entries of 2 incidents checked" in capsys.readouterr().out
    if connection.vendor == "postgresql":
        return
    target = first.log.order_by("pk")[1]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE control_incidentlogentry SET position='x' WHERE id=%s", [target.pk])
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_logs")
    assert exit_.value.code == 1
    out = capsys.readouterr().out
    assert f"BROKEN at log entry #{target.pk} of {first.reference}" in out
    assert "was changed after it was written" in out
