"""Geography: British National Grid <-> WGS84, h3 cells, and the point -> force / BCU /
borough index. Pure functions and classes; reading areas from the database is in
``selectors.py`` and loading them in ``services.py``."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import h3
import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from bluelamp.core.errors import InvalidInput

WGS84 = "EPSG:4326"
BNG = "EPSG:27700"
# Rough bounds of Great Britain's National Grid, for rejecting eastings/northings that are not.
BNG_BOUNDS = (0.0, 0.0, 700_000.0, 1_300_000.0)
DEFAULT_H3_RESOLUTION = 9  # cells about 0.1 km² (edge ~175 m): neighbourhood-sized


class _SharedTransformer:
    """One pyproj Transformer per direction for the whole process, used under a lock.

    Making a Transformer costs ~38 ms (it reads the PROJ database), so one per thread made every
    new worker thread pay that on its first request; a Transformer is not safe to use from two
    threads at once, hence the lock. A transform holds the lock for microseconds (and a batch
    of thousands of points for about a millisecond), far less than making another one."""

    def __init__(self, source: str, target: str) -> None:
        self.source, self.target = source, target
        self._transformer: Transformer | None = None
        self.lock = threading.Lock()

    def transform(self, x: Any, y: Any) -> tuple[Any, Any]:
        with self.lock:
            if self._transformer is None:
                self._transformer = Transformer.from_crs(self.source, self.target, always_xy=True)
            return self._transformer.transform(x, y)


_transformers: dict[str, _SharedTransformer] = {}
_transformers_lock = threading.Lock()


def _transformer(source: str, target: str) -> _SharedTransformer:
    key = f"{source}->{target}"
    cached = _transformers.get(key)
    if cached is None:
        with _transformers_lock:
            cached = _transformers.setdefault(key, _SharedTransformer(source, target))
    return cached


def check_lat_lon(lat: float, lon: float) -> None:
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):  # also false for NaN
        raise InvalidInput(
            f"({lat}, {lon}) is not a latitude/longitude: latitude must be -90..90 and longitude -180..180."
        )


def to_bng(lat: float, lon: float) -> tuple[float, float]:
    """WGS84 latitude/longitude -> British National Grid (easting, northing) in metres.

    Without the OSTN15 grid file pyproj uses a Helmert transformation: good to a few metres,
    which is enough for dispatch; install the grid (``projsync``) for survey accuracy.
    """
    check_lat_lon(lat, lon)
    easting, northing = _transformer(WGS84, BNG).transform(lon, lat)
    return float(easting), float(northing)


def from_bng(easting: float, northing: float) -> tuple[float, float]:
    """British National Grid (easting, northing) -> WGS84 (latitude, longitude)."""
    west, south, east, north = BNG_BOUNDS
    if not (west <= easting <= east and south <= northing <= north):
        raise InvalidInput(
            f"({easting}, {northing}) is not a British National Grid reference: eastings run "
            "0-700000 and northings 0-1300000 metres."
        )
    lon, lat = _transformer(BNG, WGS84).transform(easting, northing)
    return float(lat), float(lon)


def to_bng_many(lats: np.ndarray, lons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`to_bng` for arrays of latitudes and longitudes (no range checks: the
    caller validates, e.g. the AVL feed rejects item by item)."""
    eastings, northings = _transformer(WGS84, BNG).transform(np.asarray(lons, float), np.asarray(lats, float))
    return np.asarray(eastings, float), np.asarray(northings, float)


def from_bng_many(eastings: np.ndarray, northings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`from_bng`: (latitudes, longitudes) for arrays of BNG references."""
    lons, lats = _transformer(BNG, WGS84).transform(np.asarray(eastings, float), np.asarray(northings, float))
    return np.asarray(lats, float), np.asarray(lons, float)


def h3_cell(lat: float, lon: float, resolution: int = DEFAULT_H3_RESOLUTION) -> str:
    """The h3 cell containing a point, for cheap 'what is near here' queries."""
    check_lat_lon(lat, lon)
    return str(h3.latlng_to_cell(lat, lon, resolution))


def h3_neighbourhood(cell: str, rings: int = 1) -> set[str]:
    """The cell and every cell within ``rings`` steps of it."""
    return {str(c) for c in h3.grid_disk(cell, rings)}


@dataclass(frozen=True, slots=True)
class Area:
    """Where a point is: always a force; a BCU and borough where the force has them."""

    force_code: str
    force_name: str
    borough_gss: str | None = None
    borough_name: str | None = None
    bcu_code: str | None = None
    bcu_name: str | None = None


class AreaIndex:
    """Finds the area containing a point among many polygons, using an STRtree so each lookup
    tests only the few polygons whose bounding boxes hold the point.

    Areas are given in precedence order: the first that covers a point wins. Boroughs come
    before whole-force boundaries, and a point exactly on the edge shared by two boroughs
    belongs to the one listed first, so every point has one stable answer.
    """

    def __init__(self, areas: Sequence[tuple[Area, BaseGeometry]]) -> None:
        self._areas = [area for area, _ in areas]
        geometries = [geometry for _, geometry in areas]
        for geometry in geometries:
            shapely.prepare(geometry)
        self._geometries = np.array(geometries, dtype=object)
        self._tree = STRtree(self._geometries)

    def __len__(self) -> int:
        return len(self._areas)

    def locate(self, lat: float, lon: float) -> Area | None:
        check_lat_lon(lat, lon)
        point = shapely.Point(lon, lat)
        # The tree narrows to polygons whose bounding boxes hold the point; the prepared polygon
        # then answers "covers?" in logarithmic time. (The tree's own predicate would prepare the
        # point, not the polygons.)
        for candidate in np.sort(self._tree.query(point)):
            if self._geometries[candidate].covers(point):
                return self._areas[int(candidate)]
        return None

    def locate_many(self, points: Iterable[tuple[float, float]]) -> list[Area | None]:
        """Vectorised lookup of (lat, lon) pairs: one tree query and one covers test for the batch."""
        coordinates = np.array([(lon, lat) for lat, lon in points], dtype=float).reshape(-1, 2)
        found: list[Area | None] = [None] * len(coordinates)
        if not len(coordinates):
            return found
        geometries = shapely.points(coordinates)
        point_index, area_index = self._tree.query(geometries)
        inside = shapely.covers(self._geometries[area_index], geometries[point_index])
        point_index, area_index = point_index[inside], area_index[inside]
        # Walk hits in reverse precedence so the highest-precedence area is written last.
        order = np.lexsort((-area_index, point_index))
        for p, a in zip(point_index[order], area_index[order], strict=True):
            found[int(p)] = self._areas[int(a)]
        return found


def geometry_from_geojson(geojson: dict[str, Any]) -> BaseGeometry:
    """A valid shapely geometry from a GeoJSON geometry, or a clear error."""
    try:
        geometry = shape(geojson)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise InvalidInput(f"Not a GeoJSON geometry ({error}).") from None
    if geometry.is_empty:
        raise InvalidInput("The GeoJSON geometry is empty.")
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    return geometry
