"""The process's dispatch indexes (one per force), built from the database on first use and
refreshed: unit statuses by the control room's events (and a full reload every
``units_ttl_seconds``), crew capabilities on crew changes (and every
``capabilities_ttl_seconds``, and when the day changes: authorisations run by day).

Multi-worker: each worker builds its own index from the database; positions written by
another worker reach this one through the live bridge (``apply_remote_positions``) or, at
the latest, at the next full reload. See docs/dispatch.md ("Limits")."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import defaultdict

import numpy as np
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from bluelamp.business.models import Authorisation
from bluelamp.business.selectors import as_day, current_on
from bluelamp.control.models import Assignment, CrewMember, Resource, UnitType
from bluelamp.dispatch.index import Capability, ForceIndex, UnitRow
from bluelamp.dispatch.models import OperationResource, UnitPosition
from bluelamp.dispatch.rules import avl_rules

_indexes: dict[int, ForceIndex] = {}
_lock = threading.Lock()


def index_for(force_id: int) -> ForceIndex:
    """The force's index, built from the database the first time and refreshed when due."""
    index = _indexes.get(force_id)
    if index is None:
        with _lock:
            index = _indexes.get(force_id)
            if index is None:
                index = _build(force_id)
                _indexes[force_id] = index
    _refresh_if_due(index)
    return index


def forget(force_id: int | None = None) -> None:
    """Drop the in-memory index (of one force, or all): the next use rebuilds it from the
    database, as after a restart."""
    with _lock:
        if force_id is None:
            _indexes.clear()
        else:
            _indexes.pop(force_id, None)


def loaded(force_id: int) -> ForceIndex | None:
    """The force's index if this process has built it (events need not build one)."""
    return _indexes.get(force_id)


def _build(force_id: int) -> ForceIndex:
    count = Resource.objects.filter(force_id=force_id).count()
    index = ForceIndex(force_id, capacity=max(1024, 1 << int(count * 1.25).bit_length()))
    index.set_units(unit_rows(force_id))
    day = as_day(timezone.now())
    index.set_capabilities(capabilities(force_id, day=day), day)
    _load_positions(index)
    return index


def _refresh_if_due(index: ForceIndex) -> None:
    rules = avl_rules()
    now = time.monotonic()
    if now - index.units_loaded > rules.units_ttl_seconds:
        index.units_loaded = now  # one request reloads; the others carry on with what is held
        index.set_units(unit_rows(index.force_id))
    day = as_day(timezone.now())
    if now - index.capabilities_loaded > rules.capabilities_ttl_seconds or day != index.capabilities_day:
        index.capabilities_loaded = now
        index.set_capabilities(capabilities(index.force_id, day=day), day)


def _load_positions(index: ForceIndex) -> None:
    rows = list(
        UnitPosition.objects.filter(force_id=index.force_id).values_list(
            "unit_id", "at", "easting", "northing", "lat", "lon"
        )
    )
    slots, at, east, north, lat, lon = [], [], [], [], [], []
    for unit_id, when, easting, northing, la, lo in rows:
        slot = index.slot(unit_id)
        if slot is None:
            continue
        slots.append(slot)
        at.append(when.timestamp())
        east.append(easting)
        north.append(northing)
        lat.append(la)
        lon.append(lo)
    if slots:
        stamps = np.array(at)
        # The newest sample is at most as new as the latest fix: sampling resumes from there.
        index.move(np.array(slots), stamps, np.array(east), np.array(north), np.array(lat), np.array(lon), stamps)


def running_reservations(force_id: int, at: dt.datetime) -> Q:
    return Q(
        operation__force_id=force_id,
        operation__starts_at__lte=at,
        operation__ends_at__gt=at,
        until_at__isnull=True,
    )


def unit_rows(force_id: int, unit_ids: list[int] | None = None) -> list[UnitRow]:
    """Every unit of the force (or those named) with its status, commitment and reservation."""
    units = Resource.objects.filter(force_id=force_id)
    if unit_ids is not None:
        units = units.filter(pk__in=unit_ids)
    rows = {
        pk: UnitRow(pk, sign, kind, base)
        for pk, sign, kind, base in units.values_list("pk", "call_sign", "unit_type__code", "status__base_type")
    }
    open_assignments = Assignment.objects.filter(unit_id__in=rows).exclude(state=Assignment.State.CLEARED)
    for unit_id, incident_id, grade in open_assignments.values_list("unit_id", "incident_id", "incident__grade"):
        rows[unit_id].committed_incident_id, rows[unit_id].committed_grade = incident_id, grade or ""
    now = timezone.now()
    reserved = OperationResource.objects.filter(running_reservations(force_id, now), unit_id__in=rows)
    for unit_id in reserved.values_list("unit_id", flat=True):
        rows[unit_id].reserved = True
    return list(rows.values())


RECHECK_SQL = """
SELECT u.id, u.call_sign, t.code, s.base_type,
  (SELECT a.incident_id FROM control_assignment a WHERE a.unit_id = u.id AND a.state <> 'cleared' LIMIT 1),
  (SELECT i.grade FROM control_assignment a JOIN control_incident i ON i.id = a.incident_id
    WHERE a.unit_id = u.id AND a.state <> 'cleared' LIMIT 1),
  EXISTS (SELECT 1 FROM dispatch_operationresource r JOIN dispatch_operation o ON o.id = r.operation_id
    WHERE r.unit_id = u.id AND r.until_at IS NULL AND o.starts_at <= %s AND o.ends_at > %s)
FROM control_resource u
JOIN control_unitstatus s ON s.id = u.status_id
JOIN control_unittype t ON t.id = u.unit_type_id
WHERE u.force_id = %s AND u.id IN ({ids})
"""


def recheck_rows(force_id: int, unit_ids: list[int]) -> list[UnitRow]:
    """What :func:`unit_rows` says, for a handful of units, in one plain query: the re-check on
    the recommendation's hot path (the ORM would build three queries, ~1 ms of Python)."""
    if not unit_ids:
        return []
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = RECHECK_SQL.format(ids=", ".join(["%s"] * len(unit_ids)))
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, now, force_id, *unit_ids])
        found = cursor.fetchall()
    return [
        UnitRow(pk, sign, kind, base, committed_incident_id=incident, committed_grade=grade or "", reserved=bool(held))
        for pk, sign, kind, base, incident, grade, held in found
    ]


def capabilities(force_id: int, *, day: dt.date, unit_ids: list[int] | None = None) -> dict[int, Capability]:
    """What each unit's current crew can do on ``day``: whether the crew meets its unit type's
    needs (the same test as ``control.resources.crew_problems``), the authorisations every
    member holds and those at least one holds. Three queries for the whole force."""
    crew_rows = CrewMember.objects.filter(unit__force_id=force_id, until_at__isnull=True)
    if unit_ids is not None:
        crew_rows = crew_rows.filter(unit_id__in=unit_ids)
    crews: dict[int, list[int]] = defaultdict(list)
    for unit_id, person_id in crew_rows.values_list("unit_id", "person_id"):
        crews[unit_id].append(person_id)
    held: dict[int, set[str]] = defaultdict(set)
    people = [p for members in crews.values() for p in members]
    for start in range(0, len(people), 5000):  # SQLite limits the parameters of one query
        current = Authorisation.objects.filter(current_on(day), person_id__in=people[start : start + 5000])
        for person_id, code in current.values_list("person_id", "skill__code"):
            held[person_id].add(code)
    types = {t.pk: t for t in UnitType.objects.all()}
    units = Resource.objects.filter(force_id=force_id)
    if unit_ids is not None:
        units = units.filter(pk__in=unit_ids)
    found = {}
    for unit_id, type_id in units.values_list("pk", "unit_type_id"):
        kind = types[type_id]
        members = [held[p] for p in crews.get(unit_id, [])]
        every = frozenset(set.intersection(*members)) if members else frozenset()
        anyone = frozenset(set.union(*members)) if members else frozenset()
        ok = (
            len(members) >= kind.min_crew
            and all(code in every for code in kind.every_member_needs)
            and (not members or all(code in anyone for code in kind.one_member_needs))
        )
        found[unit_id] = Capability(ok, every, anyone)
    return found


def refresh_units(force_id: int, unit_ids: list[int]) -> None:
    """Re-read some units' status and commitment (after an event, or a failed re-check)."""
    index = loaded(force_id)
    if index is None:
        return
    for row in unit_rows(force_id, unit_ids):
        index.update_unit(row)


def refresh_capabilities(force_id: int, unit_ids: list[int]) -> None:
    index = loaded(force_id)
    if index is None:
        return
    day = as_day(timezone.now())
    for unit_id, capability in capabilities(force_id, day=day, unit_ids=unit_ids).items():
        index.set_capability(unit_id, capability)


def refresh_reservations(force_id: int) -> None:
    index = loaded(force_id)
    if index is None:
        return
    reserved = OperationResource.objects.filter(running_reservations(force_id, timezone.now()))
    index.set_reserved(set(reserved.values_list("unit_id", flat=True)))


def refresh_units_on(force_id: int, incident_id: int) -> None:
    """Re-read the units assigned to an incident (its grade decides what they are committed to)."""
    if loaded(force_id) is None:
        return
    units = list(
        Assignment.objects.filter(incident_id=incident_id).exclude(state="cleared").values_list("unit_id", flat=True)
    )
    if units:
        refresh_units(force_id, units)
