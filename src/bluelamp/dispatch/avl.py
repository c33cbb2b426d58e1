"""The vehicle-location (AVL) feed: batches of positions, checked item by item.

Every item is accepted or rejected with a reason (``code`` and a sentence); one bad item never
spoils the batch. Accepted items move the unit in the in-memory index and are upserted, in
bulk, as the unit's latest position (a newer fix only: ``ON CONFLICT … WHERE`` keeps the
newest even when two workers race), and one point per unit per ``sample_every_seconds`` is
kept as history. Idempotent on (unit, time): sending a batch twice changes nothing the
second time.

Checks (limits in ``data/avl.json``): the unit is one of the sender's force (another force's
unit is "unknown", as for every cross-force read); coordinates are numbers in range (lat/lon
or BNG easting/northing); the point is inside the force's area plus a buffer; the fix is not
from the future beyond the allowed clock skew, nor older than ``max_age_seconds``; the
reported speed and the speed implied by the previous fix of the unit are not absurd."""

from __future__ import annotations

import datetime as dt
import functools
import math
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from django.db import connection, transaction
from django.utils import timezone
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from bluelamp.core import live as core_live
from bluelamp.core.access import Actor, require
from bluelamp.core.errors import InvalidInput, PermissionDenied
from bluelamp.core.events import emit
from bluelamp.core.geography import BNG_BOUNDS, from_bng_many, geometry_from_geojson, to_bng_many
from bluelamp.core.models import Borough, Force
from bluelamp.dispatch import live, store
from bluelamp.dispatch.index import ForceIndex
from bluelamp.dispatch.models import PositionSample, UnitPosition
from bluelamp.dispatch.rules import AvlRules, avl_rules

SEND_POSITIONS = "dispatch.send_positions"


@dataclass(frozen=True)
class Rejected:
    index: int
    code: str
    reason: str


@dataclass
class Ingested:
    accepted: int = 0
    duplicates: int = 0  # accepted again: already held (same unit and time)
    late: int = 0  # accepted into history only: older than the unit's latest fix
    sampled: int = 0  # kept in the history
    rejected: list[Rejected] = field(default_factory=list)
    moved: list[tuple[int, float, float, str, bool]] = field(default_factory=list)


# The force's service area in BNG metres, buffered, prepared: built once per process.
_areas: dict[tuple[int, float], BaseGeometry | None] = {}
_areas_lock = threading.Lock()


def service_area(force_id: int, buffer_metres: float) -> BaseGeometry | None:
    """The force's area (its boroughs, or its outline) in BNG, grown by ``buffer_metres``; None
    when the force has no boundary loaded (then no point is refused for being outside)."""
    key = (force_id, buffer_metres)
    if key not in _areas:
        shapes = [
            geometry_from_geojson(b)
            for b in Borough.with_boundary.filter(force_id=force_id).values_list("boundary", flat=True)
        ]
        if not shapes:
            outline = Force.with_boundary.filter(pk=force_id).values_list("boundary", flat=True).first()
            shapes = [geometry_from_geojson(outline)] if outline else []
        area = None
        if shapes:
            wgs84 = unary_union(shapes)
            bng = shapely.transform(wgs84, lambda xy: np.column_stack(to_bng_many(xy[:, 1], xy[:, 0])))
            # Simplified first (25 m is nothing next to a 5 km buffer): buffering every vertex of a
            # detailed boundary takes seconds, the simplified one milliseconds.
            area = bng.simplify(25).buffer(buffer_metres, quad_segs=4)
            shapely.prepare(area)
        with _areas_lock:
            _areas[key] = area
    return _areas[key]


def forget_service_areas() -> None:
    with _areas_lock:
        _areas.clear()


_NUMBER_TYPES = (int, float)  # exactly: True and False are not coordinates


def _number(value: Any) -> float | None:
    if type(value) not in _NUMBER_TYPES:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _parse_time(value: Any) -> dt.datetime | None:
    if type(value) is not str:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


class _Item:
    __slots__ = ("at", "easting", "from_bng", "heading", "index", "lat", "lon", "northing", "slot", "source", "speed")

    def __init__(self, index: int, slot: int, at: float, lat: float, lon: float, easting: float, northing: float,
                 from_bng: bool, speed: float | None, heading: float | None, source: str) -> None:  # fmt: skip
        self.index, self.slot, self.at = index, slot, at
        self.lat, self.lon, self.easting, self.northing, self.from_bng = lat, lon, easting, northing, from_bng
        self.speed, self.heading, self.source = speed, heading, source


def _parse(position: int, item: Any, index: ForceIndex) -> _Item | Rejected:
    """One item, checked on its own (the hot path: plain code, one dictionary lookup per field)."""
    if type(item) is not dict:
        return Rejected(position, "malformed", "Each item must be an object.")
    get = item.get
    unit: Any = get("unit")
    if unit is None:
        unit = get("unit_id", get("call_sign"))
    kind = type(unit)
    slot: int | None
    if kind is str and unit:
        slot = index.slot_of_sign.get(unit) if unit in index.slot_of_sign else index.slot_for_sign(unit)
    elif kind is int:
        slot = index.slot_of.get(unit)
    else:
        return Rejected(position, "malformed", "Name the unit: 'unit' is its call sign or id.")
    if slot is None:
        return Rejected(position, "unknown_unit", f"Unit {unit!r} is not one of your force's units.")
    at = _parse_time(get("at") or get("time"))
    if at is None:
        return Rejected(
            position, "malformed", "'at' must be an ISO 8601 time with its offset, e.g. 2026-11-25T23:50:00Z."
        )
    lat, lon = _number(get("lat")), _number(get("lon"))
    from_bng = False
    easting = northing = 0.0
    if lat is None or lon is None:
        e, n = _number(get("easting")), _number(get("northing"))
        if lat is not None or lon is not None or e is None or n is None:
            return Rejected(
                position,
                "malformed",
                "Give 'lat' and 'lon' (WGS84 degrees) or 'easting' and 'northing' (BNG metres), as numbers.",
            )
        west, south, east, north = BNG_BOUNDS
        if not (west <= e <= east and south <= n <= north):
            return Rejected(position, "malformed", f"({e}, {n}) is not a British National Grid reference.")
        from_bng, easting, northing, lat, lon = True, e, n, 0.0, 0.0
    elif not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return Rejected(position, "malformed", f"({lat}, {lon}) is not a latitude/longitude.")
    raw_speed, raw_heading = get("speed"), get("heading")
    speed = heading = None
    if raw_speed is not None:
        speed = _number(raw_speed)
        if speed is None or speed < 0:
            return Rejected(position, "malformed", "'speed' must be a number of metres per second, 0 or more.")
    if raw_heading is not None:
        heading = _number(raw_heading)
        if heading is None or not 0 <= heading <= 360:
            return Rejected(position, "malformed", "'heading' must be degrees from 0 to 360.")
    source = get("source", "")
    if type(source) is not str or len(source) > 40:
        return Rejected(position, "malformed", "'source' must be text of at most 40 characters.")
    return _Item(position, slot, at.timestamp(), lat, lon, easting, northing, from_bng, speed, heading, source)


def ingest_positions(*, actor: Actor, items: list[Any], now: dt.datetime | None = None) -> Ingested:
    """Check and keep a batch of positions of the actor's force's units."""
    require(actor, SEND_POSITIONS)
    if actor.force_id is None:
        raise PermissionDenied("Only a force's own feed can send its units' positions.")
    rules = avl_rules()
    if not isinstance(items, list):
        raise InvalidInput("Send the positions as a list of items.")
    if len(items) > rules.max_batch_items:
        raise InvalidInput(f"Send at most {rules.max_batch_items:,} positions per request; this had {len(items):,}.")
    now = now or timezone.now()
    index = store.index_for(actor.force_id)
    result = Ingested()
    parsed: list[_Item] = []
    for position, item in enumerate(items):
        outcome = _parse(position, item, index)
        if isinstance(outcome, Rejected):
            result.rejected.append(outcome)
        else:
            parsed.append(outcome)
    if parsed:
        _project(parsed)
        parsed = _inside(parsed, actor.force_id, rules, result)
    accepted = _check_in_order(parsed, index, now.timestamp(), rules, result)
    result.rejected.sort(key=lambda r: r.index)
    if accepted:
        _keep(accepted, index, actor.force_id, now, rules, result)
    return result


def _project(items: list[_Item]) -> None:
    """Fill in BNG for lat/lon items and lat/lon for BNG items, one vectorised call each."""
    wgs = [i for i in items if not i.from_bng]
    if wgs:
        eastings, northings = to_bng_many(np.array([i.lat for i in wgs]), np.array([i.lon for i in wgs]))
        for item, easting, northing in zip(wgs, eastings.tolist(), northings.tolist(), strict=True):
            item.easting, item.northing = easting, northing
    grid = [i for i in items if i.from_bng]
    if grid:
        lats, lons = from_bng_many(np.array([i.easting for i in grid]), np.array([i.northing for i in grid]))
        for item, lat, lon in zip(grid, lats.tolist(), lons.tolist(), strict=True):
            item.lat, item.lon = lat, lon


def _inside(items: list[_Item], force_id: int, rules: AvlRules, result: Ingested) -> list[_Item]:
    area = service_area(force_id, rules.service_area_buffer_metres)
    if area is None:
        return items
    inside = shapely.contains_xy(area, np.array([i.easting for i in items]), np.array([i.northing for i in items]))
    kept = []
    for item, ok in zip(items, inside.tolist(), strict=True):
        if ok:
            kept.append(item)
        else:
            result.rejected.append(
                Rejected(
                    item.index,
                    "outside_service_area",
                    f"({item.lat:.5f}, {item.lon:.5f}) is more than {rules.service_area_buffer_metres:,.0f} m "
                    "outside your force's area.",
                )
            )
    return kept


def _check_in_order(
    items: list[_Item], index: ForceIndex, now: float, rules: AvlRules, result: Ingested
) -> list[tuple[_Item, bool]]:
    """Time and speed checks, unit by unit in time order, each fix against the one before it.
    Returns (item, is_newest_so_far) for the accepted ones."""
    items.sort(key=lambda i: (i.slot, i.at, i.index))
    accepted: list[tuple[_Item, bool]] = []
    previous_slot = -1
    last_at = last_e = last_n = math.nan
    latest_at = index.at
    for item in items:
        if item.slot != previous_slot:
            previous_slot = item.slot
            last_at = float(latest_at[item.slot])
            last_e, last_n = float(index.easting[item.slot]), float(index.northing[item.slot])
        if item.at > now + rules.max_clock_skew_seconds:
            result.rejected.append(
                Rejected(
                    item.index,
                    "from_the_future",
                    f"The fix is {item.at - now:,.0f} s in the future: check the device's clock.",
                )
            )
            continue
        if item.at < now - rules.max_age_seconds:
            result.rejected.append(
                Rejected(item.index, "too_old", f"The fix is older than {rules.max_age_seconds / 3600:g} hours.")
            )
            continue
        if item.speed is not None and item.speed > rules.max_reported_speed_mps:
            result.rejected.append(
                Rejected(item.index, "absurd_speed", f"A reported speed of {item.speed:,.0f} m/s is impossible.")
            )
            continue
        if not math.isnan(last_at):
            if item.at == last_at:
                result.duplicates += 1
                result.accepted += 1
                continue
            if item.at < last_at:
                result.late += 1
                result.accepted += 1
                accepted.append((item, False))
                continue
            gap = item.at - last_at
            if gap <= rules.implied_speed_window_seconds:
                implied = math.hypot(item.easting - last_e, item.northing - last_n) / max(gap, 1.0)
                if implied > rules.max_implied_speed_mps:
                    result.rejected.append(
                        Rejected(
                            item.index,
                            "implied_speed",
                            f"Moving {math.hypot(item.easting - last_e, item.northing - last_n):,.0f} m in "
                            f"{gap:,.0f} s ({implied:,.0f} m/s) since the unit's previous fix is impossible.",
                        )
                    )
                    continue
        last_at, last_e, last_n = item.at, item.easting, item.northing
        result.accepted += 1
        accepted.append((item, True))
    return accepted


def _utc(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


def _db_time() -> Any:
    """A function from epoch seconds to what the database driver takes for a datetime column:
    on SQLite the text Django itself writes (UTC, 'YYYY-MM-DD HH:MM:SS[.ffffff]'), elsewhere an
    aware datetime. Django's own adapter costs several microseconds a call; 5,000 a batch add up."""
    if connection.vendor == "sqlite":
        return lambda epoch: dt.datetime.fromtimestamp(epoch, tz=dt.UTC).replace(tzinfo=None).isoformat(" ")
    return _utc


def _keep(
    accepted: list[tuple[_Item, bool]],
    index: ForceIndex,
    force_id: int,
    now: dt.datetime,
    rules: AvlRules,
    result: Ingested,
) -> None:
    newest: dict[int, _Item] = {}
    samples: list[_Item] = []
    sampled_at: dict[int, float] = {}
    for item, in_order in accepted:  # in (slot, time) order
        if in_order:
            newest[item.slot] = item
            last = sampled_at.get(item.slot, float(index.sampled_at[item.slot]))
            if item.at - last >= rules.sample_every_seconds:
                samples.append(item)
                sampled_at[item.slot] = item.at
        else:
            samples.append(item)  # a late fix fills a gap in the history
    when = _db_time()
    ids = index.unit_ids.tolist()  # plain ints, one conversion for the batch
    received = connection.ops.adapt_datetimefield_value(now)
    latest_rows = [
        (ids[i.slot], force_id, when(i.at), i.lat, i.lon, i.easting, i.northing, i.speed, i.heading, i.source, received)
        for i in newest.values()
    ]
    sample_rows = [
        (ids[i.slot], force_id, when(i.at), i.lat, i.lon, i.easting, i.northing, i.speed, i.heading, i.source)
        for i in samples
    ]
    with transaction.atomic():
        with connection.cursor() as cursor:
            if latest_rows:
                cursor.executemany(_upsert_sql(connection.vendor), latest_rows)
            if sample_rows:
                cursor.executemany(_sample_sql(connection.vendor), sample_rows)
        emit(
            "dispatch.positions.received",
            force=Force(pk=force_id),
            accepted=result.accepted,
            rejected=len(result.rejected),
            units=len(newest),
        )
        result.sampled = len(samples)
        stale_before = now.timestamp() - rules.stale_after_seconds
        unit_of = index.unit_id_at
        moved = [(unit_of(i.slot), i.lat, i.lon, _utc(i.at).isoformat(), i.at < stale_before) for i in newest.values()]
        result.moved = moved
        slots = np.fromiter(newest.keys(), np.int64, len(newest))
        items = list(newest.values())
        sample_slots = np.fromiter(sampled_at.keys(), np.int64, len(sampled_at))
        sample_times = np.fromiter(sampled_at.values(), float, len(sampled_at))

        def publish() -> None:
            index.move(
                slots,
                np.array([i.at for i in items]),
                np.array([i.easting for i in items]),
                np.array([i.northing for i in items]),
                np.array([i.lat for i in items]),
                np.array([i.lon for i in items]),
            )
            with index.lock:
                index.sampled_at[sample_slots] = np.maximum(index.sampled_at[sample_slots], sample_times)
            if moved:
                live.announce_positions(force_id, moved)

        transaction.on_commit(publish)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


@functools.cache
def _upsert_sql(vendor: str) -> str:
    table = _q(UnitPosition._meta.db_table)
    columns = [
        "unit_id",
        "force_id",
        "at",
        "lat",
        "lon",
        "easting",
        "northing",
        "speed",
        "heading",
        "source",
        "received_at",
    ]
    # force_id is left alone: a unit never changes force, and not touching it spares its index.
    updates = ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in columns[2:])
    return (
        f"INSERT INTO {table} ({', '.join(_q(c) for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "  # noqa: S608 - names from the model, values bound
        f"ON CONFLICT ({_q('unit_id')}) DO UPDATE SET {updates} WHERE {table}.{_q('at')} < excluded.{_q('at')}"
    )


@functools.cache
def _sample_sql(vendor: str) -> str:
    table = _q(PositionSample._meta.db_table)
    columns = ["unit_id", "force_id", "at", "lat", "lon", "easting", "northing", "speed", "heading", "source"]
    return (
        f"INSERT INTO {table} ({', '.join(_q(c) for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "  # noqa: S608 - names from the model, values bound
        f"ON CONFLICT ({_q('unit_id')}, {_q('at')}) DO NOTHING"
    )


def apply_remote_positions(force_id: int, positions: list[live.Position]) -> None:
    """Positions another worker accepted (carried by the live bridge): move them here too."""
    index = store.loaded(force_id)
    if index is None or not positions:
        return
    known = [(index.slot(p[0]), p) for p in positions]
    known = [(slot, p) for slot, p in known if slot is not None]
    if not known:
        return
    lats = np.array([p[1] for _, p in known])
    lons = np.array([p[2] for _, p in known])
    at = np.array([dt.datetime.fromisoformat(p[3]).timestamp() for _, p in known])
    slots = np.array([slot for slot, _ in known], np.int64)
    newer = at > np.nan_to_num(index.at[slots], nan=-np.inf)
    if not newer.any():
        return
    eastings, northings = to_bng_many(lats[newer], lons[newer])
    index.move(slots[newer], at[newer], eastings, northings, lats[newer], lons[newer])


def _moved_elsewhere(notice: core_live.Notice) -> None:
    apply_remote_positions(notice.force_id, live.positions_in(notice))


core_live.on_notice(live.POSITIONS, _moved_elsewhere, remote_only=True)  # this worker moved them already
