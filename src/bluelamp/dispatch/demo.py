"""Demo: put every unit of a force somewhere plausible — a random point inside one of the
boroughs of its home BCU (or anywhere in the force's area) — through the AVL feed, so the map
and recommendations have something to show. Development only."""

from __future__ import annotations

import random

import shapely
from django.utils import timezone
from shapely.geometry.base import BaseGeometry

from bluelamp.control.units import selectors as unit_selectors
from bluelamp.core.access import ClientActor
from bluelamp.core.geography import geometry_from_geojson
from bluelamp.core.models import Borough, Force
from bluelamp.dispatch import avl


def _inside(shape: BaseGeometry, rng: random.Random) -> tuple[float, float]:
    west, south, east, north = shape.bounds
    for _ in range(1000):
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        if shape.covers(shapely.Point(lon, lat)):
            return lat, lon
    point = shape.representative_point()
    return point.y, point.x


def place_demo_units(*, force: Force, seed: int = 20261125) -> int:
    """Send one fresh position for each of ``force``'s units; returns how many were accepted."""
    rng = random.Random(seed)  # noqa: S311 - demo positions, not secrets
    boroughs: dict[int | None, list[BaseGeometry]] = {}
    for bcu_id, boundary in Borough.with_boundary.filter(force=force).values_list("bcu_id", "boundary"):
        shape = geometry_from_geojson(boundary)
        shapely.prepare(shape)
        boroughs.setdefault(bcu_id, []).append(shape)
        boroughs.setdefault(None, []).append(shape)
    if not boroughs:
        return 0
    now = timezone.now().isoformat()
    items = []
    for unit_id, home_bcu_id in unit_selectors.unit_home_bcus(force.pk):
        lat, lon = _inside(rng.choice(boroughs.get(home_bcu_id) or boroughs[None]), rng)
        items.append({"unit": unit_id, "at": now, "lat": lat, "lon": lon, "speed": 0.0, "source": "demo"})
    feed = ClientActor(token_id=0, name="demo AVL", force_id=force.pk, permissions=frozenset({avl.SEND_POSITIONS}))
    accepted = 0
    for start in range(0, len(items), 5000):
        accepted += avl.ingest_positions(actor=feed, items=items[start : start + 5000]).accepted
    return accepted
