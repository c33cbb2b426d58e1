"""Unit positions on the live screens and in every worker's index of units.

An accepted batch of positions (``avl.ingest_positions``) is announced once its transaction
commits, through core's live screens, in notices small enough for PostgreSQL's NOTIFY; only
readers who may view unit positions receive them. The same notices, heard from another worker
(``core.live.on_remote``), move this worker's index too: a position goes dispatch → core →
dispatch, and the control room's screens are just one more reader."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bluelamp.core.live import Notice, announce

POSITIONS = "control.positions"  # the map's script knows position notices by this name
POSITIONS_PER_NOTICE = 50  # keeps one notice well under NOTIFY's 8000 bytes
READER_PERMISSION = "dispatch.view_unitposition"

Position = tuple[int, float, float, str, bool]  # unit_id, lat, lon, at (ISO 8601), stale


def notices_for(force_id: int, positions: Iterable[tuple[Any, ...]]) -> list[Notice]:
    rows = [
        {
            "unit_id": int(p[0]),
            "lat": round(float(p[1]), 6),
            "lon": round(float(p[2]), 6),
            "at": p[3].isoformat() if hasattr(p[3], "isoformat") else p[3],
            "stale": bool(p[4]),
        }
        for p in positions
    ]
    return [
        Notice(POSITIONS, force_id, READER_PERMISSION, {"positions": rows[start : start + POSITIONS_PER_NOTICE]})
        for start in range(0, len(rows), POSITIONS_PER_NOTICE)
    ]


def announce_positions(force_id: int, positions: Iterable[tuple[Any, ...]]) -> int:
    """Unit positions (unit_id, lat, lon, at, stale) to the force's screens and the other
    workers; returns how many of this worker's screens got them."""
    return announce(*notices_for(force_id, positions))


def positions_in(notice: Notice) -> list[Position]:
    """The positions a notice carries, as :func:`announce_positions` took them."""
    return [
        (int(p["unit_id"]), float(p["lat"]), float(p["lon"]), str(p["at"]), bool(p.get("stale")))
        for p in notice.data.get("positions") or ()
    ]
