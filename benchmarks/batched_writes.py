"""What batching would buy incident creation: the rows one incident writes (contact, incident,
log entry, two audit entries, POLE location, event and link, five outbox events), written row
by row in one transaction per incident as the services do today, against the same rows for 20
incidents written with ``bulk_create`` in one transaction. Only the writes are measured (no
validation, hashing, locks or HTTP), on SQLite, in process: the figure that led to writing calls
in batches (group commit, docs/adr/0011-group-commit-for-calls.md), not a goal. Run alone:
``python -m benchmarks.batched_writes``."""

from __future__ import annotations

import time
import uuid
from typing import Any

BATCH = 20
INCIDENTS = 600


def _rows(force: Any, number: int) -> dict[str, Any]:
    from django.utils import timezone

    from bluelamp.control.models import Contact, Incident, IncidentLogEntry
    from bluelamp.core.models import AuditEntry, OutboxEvent
    from bluelamp.pole.models import Event, Link, Location

    now = timezone.now()
    where = {"address": "1 High Street", "lat": 51.5, "lon": -0.1, "h3_cell": "8a195da62cc7fff"}
    incident = Incident(
        force=force,
        cad_day=now.date(),
        cad_number=number,
        created_at=now,
        description="Caller reports a fight",
        opening_category="crime.violence",
        opening_qualifiers=[],
        details={"weapons": "none seen"},
        **where,
    )
    contact = Contact(
        force=force,
        channel="999",
        received_at=now,
        received_by="bench",
        caller_name="Sam Caller",
        caller_phone="07700 900000",
        description="Caller reports a fight",
        category="crime.violence",
        qualifiers=[],
        details={"weapons": "none seen"},
        incident=incident,
        outcome="incident",
        closed_at=now,
        **where,
    )
    location = Location(force=force, address=where["address"], address_key=f"bench {number}", lat=51.5, lon=-0.1)
    event = Event(
        force=force,
        kind="incident",
        source_system="control",
        source_id=str(number),
        occurred_at=now,
        title=f"CAD {number}",
        location=location,
    )

    def audit() -> AuditEntry:
        return AuditEntry(
            at=now,
            operation="collection",
            actor_label="bench",
            force_id=force.pk,
            record_type="control.contact",
            record_ids=[str(number)],
            details={"channel": "999"},
            previous_hash="0" * 64,
            entry_hash=uuid.uuid4().hex * 2,
        )

    return {
        "incident": incident,
        "contact": contact,
        "log": IncidentLogEntry(
            incident=incident,
            at=now,
            operator_label="bench",
            kind="automatic",
            text="Incident created",
            data={},
            previous_hash="0" * 64,
            entry_hash=uuid.uuid4().hex * 2,
        ),
        "audit": [audit(), audit()],
        "location": location,
        "event": event,
        "link": Link(event=event, location=location, role="scene"),
        "outbox": [OutboxEvent(topic="bench", force=force, payload={"number": number}) for _ in range(5)],
    }


def _relink(rows: dict[str, Any]) -> None:
    """Point the foreign keys at the saved parents (Django keeps the id taken at assignment)."""
    rows["contact"].incident = rows["incident"]
    rows["log"].incident = rows["incident"]
    rows["event"].location = rows["location"]
    rows["link"].event, rows["link"].location = rows["event"], rows["location"]


def row_by_row(force: Any, numbers: range) -> float:
    from django.db import transaction

    started = time.perf_counter()
    for number in numbers:
        rows = _rows(force, number)
        with transaction.atomic():
            for name in ("incident", "location", "contact", "log", "event", "link"):
                _relink(rows)
                rows[name].save()
            for row in rows["audit"] + rows["outbox"]:
                row.save()
    return (time.perf_counter() - started) / len(numbers) * 1000


def batched(force: Any, numbers: range) -> float:
    from django.db import transaction

    started = time.perf_counter()
    for first in range(numbers.start, numbers.stop, BATCH):
        batch = [_rows(force, number) for number in range(first, min(first + BATCH, numbers.stop))]
        with transaction.atomic():
            for kind in ("incident", "location", "contact", "log", "event", "link"):
                for rows in batch:
                    _relink(rows)
                type(batch[0][kind]).objects.bulk_create([rows[kind] for rows in batch])
            for kind in ("audit", "outbox"):
                type(batch[0][kind][0]).objects.bulk_create([row for rows in batch for row in rows[kind]])
    return (time.perf_counter() - started) / len(numbers) * 1000


def main() -> None:
    from benchmarks import run

    run.setup_django()
    from django.core.management import call_command

    from bluelamp.core.models import Force

    call_command("load_geography", verbosity=0)
    force = Force.objects.get(code="met")
    row_by_row(force, range(1, 101))  # warm up
    batched(force, range(101, 201))
    one = row_by_row(force, range(1000, 1000 + INCIDENTS))
    many = batched(force, range(5000, 5000 + INCIDENTS))
    from bluelamp.pole.models import Link

    written = Link.objects.filter(event__source_id__in=[str(n) for n in range(5000, 5000 + INCIDENTS)]).count()
    assert written == INCIDENTS, f"the batched path wrote {written} incidents' rows, not {INCIDENTS}"
    print(f"| writes of one incident ({INCIDENTS} incidents, SQLite) | ms per incident |")
    print("|---|---:|")
    print(f"| row by row, one transaction per incident (as today) | {one:.2f} |")
    print(f"| bulk_create, {BATCH} incidents per transaction | {many:.2f} |")


if __name__ == "__main__":
    main()
