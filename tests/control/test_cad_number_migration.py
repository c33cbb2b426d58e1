"""Migration 0009: the CAD number is given when the incident is made, so the column becomes NOT
NULL and PostgreSQL's deferred trigger (0008) goes, with every existing incident kept as it was
and one left unnumbered (SQLite only could hold one) given its day's next number."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from bluelamp.core.models import Force

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = ("control", "0008_cad_number_given_last")
AFTER = ("control", "0009_cad_number_given_when_made")
DAY = dt.date(2026, 11, 22)


def _migrate(target: tuple[str, str]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return MigrationExecutor(connection)  # its loader sees the state just reached


def _trigger_exists() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'control_incident_numbered'")
        return bool(cursor.fetchone()[0])


def test_existing_incidents_are_kept_and_an_unnumbered_one_is_numbered(met: Force) -> None:
    executor = _migrate(BEFORE)
    old = executor.loader.project_state([BEFORE]).apps
    Incident, CadCounter = old.get_model("control", "Incident"), old.get_model("control", "CadCounter")
    CadCounter.objects.create(force_id=met.pk, day=DAY, last_number=1)
    now = timezone.now()
    numbered = Incident.objects.create(
        force_id=met.pk, cad_day=DAY, cad_number=1, created_at=now, opening_category="crime.other", address="1 A St"
    )
    unnumbered = None
    if connection.vendor == "postgresql":
        assert _trigger_exists()  # it would refuse to commit the unnumbered one
    else:
        unnumbered = Incident.objects.create(
            force_id=met.pk, cad_day=DAY, cad_number=None, created_at=now, opening_category="crime.other"
        )

    try:
        executor = _migrate(AFTER)
        new = executor.loader.project_state([AFTER]).apps
        Incident, CadCounter = new.get_model("control", "Incident"), new.get_model("control", "CadCounter")
        kept = Incident.objects.get(pk=numbered.pk)
        assert (kept.cad_number, kept.cad_day, kept.address) == (1, DAY, "1 A St")
        if unnumbered is not None:
            assert Incident.objects.get(pk=unnumbered.pk).cad_number == 2  # the day's next
            assert CadCounter.objects.get(force_id=met.pk, day=DAY).last_number == 2
        else:
            assert not _trigger_exists()
        with pytest.raises(IntegrityError), transaction.atomic():
            Incident.objects.filter(pk=numbered.pk).update(cad_number=None)
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
