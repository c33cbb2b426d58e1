"""Reads for core."""

from __future__ import annotations

import copy
import threading

from django.db.models import Case, QuerySet, Value, When

from bluelamp.core.errors import OutsideServiceArea
from bluelamp.core.gazetteer import word_start, words
from bluelamp.core.geography import Area, AreaIndex, check_lat_lon, geometry_from_geojson
from bluelamp.core.models import Borough, Force, GazetteerPlace

_index: AreaIndex | None = None
_index_lock = threading.Lock()
# Forces and boroughs change about as often as boundaries: every write names one, so each
# process keeps them, as it keeps the area index, instead of asking the database every time.
_forces: dict[int, Force] = {}
_boroughs: dict[str, Borough] = {}


def forces() -> QuerySet[Force]:
    return Force.objects.all()


def area_index() -> AreaIndex:
    """The point -> area index, built once per process from the database (boundaries change
    rarely; ``load_geography`` rebuilds it, other processes pick it up on restart)."""
    global _index
    if _index is None:
        with _index_lock:
            if _index is None:
                _index = _build_area_index()
    return _index


def forget_area_index() -> None:
    global _index
    with _index_lock:
        _index = None
        _forces.clear()
        _boroughs.clear()


def force(force_id: int) -> Force:
    """A force by id (its boundary unread), from the process's copy once read."""
    found = _forces.get(force_id)
    if found is None:
        found = _forces[force_id] = Force.objects.get(pk=force_id)
    return copy.copy(found)  # callers may set attributes on it; the kept one stays as read


def borough(gss_code: str) -> Borough:
    """A borough by GSS code with its BCU (boundary unread), from the process's copy once read."""
    found = _boroughs.get(gss_code)
    if found is None:
        found = _boroughs[gss_code] = Borough.objects.select_related("bcu").get(gss_code=gss_code)
    return copy.copy(found)


def borough_at(force: Force, lat: float, lon: float) -> Borough | None:
    """The borough (with its BCU) of a point inside ``force``'s own area; None elsewhere, e.g.
    a call from across the border, which keeps its coordinates but is not placed in our areas."""
    try:
        area = locate(lat=lat, lon=lon)
    except OutsideServiceArea:
        return None
    if area.force_code != force.code or area.borough_gss is None:
        return None
    return borough(area.borough_gss)


def _build_area_index() -> AreaIndex:
    entries = []
    boroughs = Borough.with_boundary.select_related("force", "bcu").defer("force__boundary").order_by("gss_code")
    for borough in boroughs:
        area = Area(
            force_code=borough.force.code,
            force_name=borough.force.name,
            borough_gss=borough.gss_code,
            borough_name=borough.name,
            bcu_code=borough.bcu.code if borough.bcu else None,
            bcu_name=borough.bcu.name if borough.bcu else None,
        )
        entries.append((area, geometry_from_geojson(borough.boundary)))
    # Forces without borough detail (e.g. a Single Online Home tenant) are found by their outline.
    for force in Force.with_boundary.filter(boroughs__isnull=True, boundary__isnull=False).order_by("code"):
        outline = geometry_from_geojson(force.boundary or {})
        entries.append((Area(force_code=force.code, force_name=force.name), outline))
    return AreaIndex(entries)


def locate(*, lat: float, lon: float) -> Area:
    """The force, BCU and borough containing a point, or :class:`OutsideServiceArea`."""
    check_lat_lon(lat, lon)
    area = area_index().locate(lat, lon)
    if area is None:
        raise OutsideServiceArea(
            f"({lat:.5f}, {lon:.5f}) is outside every force area on this platform: "
            "check the location, or contact the force that polices it."
        )
    return area


def find_places(text: str, *, limit: int = 8) -> list[GazetteerPlace]:
    """Places whose name and locality hold a word starting with each word typed, in any order:
    "baker st west" finds Baker Street, Westminster. Those whose name starts with the first
    word come first."""
    typed = words(text)
    if not typed or sum(len(word) for word in typed) < 3:
        return []
    found = GazetteerPlace.objects.all()
    for word in typed:
        found = found.filter(search_key__contains=word_start(word))
    first = Case(When(search_key__startswith=word_start(typed[0]), then=Value(0)), default=Value(1))
    return list(found.order_by(first, "name", "locality")[:limit])


def gazetteer_place(place_id: str) -> GazetteerPlace | None:
    """The place with this id as sent by a form, or None for anything else."""
    return GazetteerPlace.objects.filter(pk=int(place_id)).first() if place_id.isdigit() else None
