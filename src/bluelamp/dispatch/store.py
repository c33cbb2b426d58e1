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
from django.db.models import Q
from django.utils import timezone

from bluelamp.business.selectors import as_day, skills_held
from bluelamp.control.units import selectors as unit_selectors
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
    count = unit_selectors.unit_count(force_id)
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
    rows = {
        pk: UnitRow(pk, sign, kind, base) for pk, sign, kind, base in unit_selectors.unit_states(force_id, unit_ids)
    }
    for unit_id, incident_id, grade in unit_selectors.open_commitments(rows):
        rows[unit_id].committed_incident_id, rows[unit_id].committed_grade = incident_id, grade or ""
    now = timezone.now()
    reserved = OperationResource.objects.filter(running_reservations(force_id, now), unit_id__in=rows)
    for unit_id in reserved.values_list("unit_id", flat=True):
        rows[unit_id].reserved = True
    return list(rows.values())


def capabilities(force_id: int, *, day: dt.date, unit_ids: list[int] | None = None) -> dict[int, Capability]:
    """What each unit's current crew can do on ``day``: whether the crew meets its unit type's
    needs (the same test as ``control.units.assignments.crew_problems``), the authorisations every
    member holds and those at least one holds."""
    crews: dict[int, list[int]] = defaultdict(list)
    for unit_id, person_id in unit_selectors.current_crews(force_id, unit_ids):
        crews[unit_id].append(person_id)
    held: dict[int, set[str]] = defaultdict(set)
    for person_id, code in skills_held([p for members in crews.values() for p in members], day):
        held[person_id].add(code)
    found = {}
    for unit_id, kind in unit_selectors.unit_types_of(force_id, unit_ids):
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
    units = unit_selectors.units_committed_to(incident_id)
    if units:
        refresh_units(force_id, units)
