"""Distances and h3 cells for "what happened near here". Pure functions.

Locations store the h3 cell at resolution 10 (hexagons with edges of about 66-76 m in London).
A search radius is turned into the disk of cells around the point's cell that surely contains
every point within the radius; the database narrows to locations in those cells using the
indexed column, and the exact great-circle distance then decides.

Why the disk is enough: from any point of a hexagon, the edge of the disk of ``k`` rings around
it is at least ``k`` edge lengths away (the worst case is a corner of the centre cell, which
is one edge from the first ring's outside, and each further ring adds at least 1.5 edges). So
``k = ceil(radius / shortest edge of the centre cell)`` rings cover the radius. With 50 m at
resolution 10 that is one ring: 7 cells."""

from __future__ import annotations

import math

import h3

from bluelamp.core.geography import check_lat_lon, h3_cell, h3_neighbourhood

H3_RESOLUTION = 10
EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG): error under 0.5 % anywhere, far less over 250 m


def cell_of(lat: float, lon: float) -> str:
    return h3_cell(lat, lon, H3_RESOLUTION)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance in metres between two WGS84 points on a sphere:
    d = 2R asin(sqrt(sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2)))."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    a = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def rings_for(cell: str, radius_m: float) -> int:
    shortest_edge: float = min(h3.edge_length(edge, "m") for edge in h3.origin_to_directed_edges(cell))
    return max(1, math.ceil(radius_m / shortest_edge))


def cells_within(lat: float, lon: float, radius_m: float) -> set[str]:
    """Every resolution-10 cell that may hold a point within ``radius_m`` of (lat, lon)."""
    check_lat_lon(lat, lon)
    cell = cell_of(lat, lon)
    return h3_neighbourhood(cell, rings_for(cell, radius_m))
