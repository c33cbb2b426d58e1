"""Geography API: where is this point, and which forces are on the platform."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from bluelamp.core import selectors
from bluelamp.core.errors import InvalidInput
from bluelamp.core.geography import Area, from_bng, h3_cell, to_bng
from bluelamp.core.schemas import ErrorBody

# Where a place is, and which forces there are, is public: the public websites ask it too.
router = Router(auth=None)


class ForceOut(Schema):
    code: str
    name: str
    short_name: str


class LocationOut(Schema):
    lat: float
    lon: float
    easting: float
    northing: float
    h3_cell: str
    force_code: str
    force_name: str
    borough_gss: str | None
    borough_name: str | None
    bcu_code: str | None
    bcu_name: str | None


class PlaceOut(Schema):
    name: str
    locality: str
    lat: float
    lon: float


@router.get("/forces", response=list[ForceOut], summary="Forces on this platform")
def list_forces(request: HttpRequest) -> list[ForceOut]:
    return [ForceOut(code=f.code, name=f.name, short_name=f.short_name) for f in selectors.forces()]


@router.get(
    "/locate",
    response={200: LocationOut, 404: ErrorBody, 422: ErrorBody},
    summary="Which force, BCU and borough a point is in",
    description="Give `lat` and `lon` (WGS84) or `easting` and `northing` (British National Grid). "
    "A point outside every force area answers 404 with code `outside_service_area`.",
)
def locate(
    request: HttpRequest,
    lat: float | None = None,
    lon: float | None = None,
    easting: float | None = None,
    northing: float | None = None,
) -> LocationOut:
    if lat is not None and lon is not None:
        easting, northing = to_bng(lat, lon)
    elif easting is not None and northing is not None:
        lat, lon = from_bng(easting, northing)
    else:
        raise InvalidInput("Give either lat and lon, or easting and northing.")
    area: Area = selectors.locate(lat=lat, lon=lon)
    return LocationOut(
        lat=lat,
        lon=lon,
        easting=round(easting, 1),
        northing=round(northing, 1),
        h3_cell=h3_cell(lat, lon),
        force_code=area.force_code,
        force_name=area.force_name,
        borough_gss=area.borough_gss,
        borough_name=area.borough_name,
        bcu_code=area.bcu_code,
        bcu_name=area.bcu_name,
    )


@router.get(
    "/places",
    response=list[PlaceOut],
    summary="Find a named place (street, station…) in the gazetteer",
    description="Every word of `q` starts a word of the place's name or locality, in any order, with "
    "common abbreviations spelt out (`st`, `rd`, `ave`…): `baker st` finds Baker Street. At most 8 places, "
    "those whose name starts with the first word first; none when fewer than 3 letters are given.",
)
def find_places(request: HttpRequest, q: str) -> list[PlaceOut]:
    return [PlaceOut(name=p.name, locality=p.locality, lat=p.lat, lon=p.lon) for p in selectors.find_places(q)]
