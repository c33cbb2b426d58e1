"""Point -> force / BCU / borough on the real London boundaries, BNG and h3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

from bluelamp.core import selectors, services
from bluelamp.core.errors import InvalidInput, OutsideServiceArea
from bluelamp.core.geography import from_bng, h3_cell, h3_neighbourhood, to_bng
from bluelamp.core.models import Bcu, Borough, Force

pytestmark = pytest.mark.usefixtures("london")


@pytest.mark.parametrize(
    ("place", "lat", "lon", "borough", "bcu", "force"),
    [
        ("Trafalgar Square", 51.50809, -0.12804, "Westminster", "Central West", "met"),
        ("Bank station", 51.51330, -0.08890, "City of London", None, "city"),
        ("Heathrow Terminal 5", 51.47000, -0.45430, "Hillingdon", "West", "met"),
        ("Croydon town centre", 51.37230, -0.09980, "Croydon", "South", "met"),
        ("Wembley Stadium", 51.55600, -0.27960, "Brent", "North West", "met"),
    ],
)
def test_real_places_resolve_to_their_borough_bcu_and_force(
    place: str, lat: float, lon: float, borough: str, bcu: str | None, force: str
) -> None:
    area = selectors.locate(lat=lat, lon=lon)
    assert (area.borough_name, area.bcu_name, area.force_code) == (borough, bcu, force), place


def test_a_point_in_the_sea_is_outside_every_force_area() -> None:
    with pytest.raises(OutsideServiceArea, match="outside every force area"):
        selectors.locate(lat=51.0, lon=1.6)  # the Strait of Dover


def test_every_met_borough_belongs_to_one_of_the_twelve_bcus() -> None:
    met = Force.objects.get(code="met")
    assert Bcu.objects.filter(force=met).count() == 12
    assert Borough.objects.filter(force=met).count() == 32
    assert not Borough.objects.filter(force=met, bcu__isnull=True).exists()
    assert list(Borough.objects.filter(force__code="city").values_list("name", flat=True)) == ["City of London"]


def _inner_ring_points(geometry: shapely.Geometry, inset_degrees: float, count: int) -> list[tuple[float, float]]:
    """Points spread along a ring a few metres inside a polygon's edge, as (lat, lon)."""
    inner = geometry.buffer(-inset_degrees)
    boundary = inner.boundary
    return [
        (point.y, point.x)
        for point in (boundary.interpolate(i / count, normalized=True) for i in range(count))
        if not point.is_empty
    ]


def test_points_just_inside_every_borough_edge_resolve_to_that_borough() -> None:
    """Correct at borough edges: 25 points ~3 m inside each of the 33 boundaries."""
    collection = json.loads(services.LONDON_BOUNDARIES.read_text())
    index = selectors.area_index()
    checked = 0
    for feature in collection["features"]:
        gss = feature["properties"]["gss_code"]
        points = _inner_ring_points(shape(feature["geometry"]), inset_degrees=0.00004, count=25)
        found = index.locate_many(points)
        assert all(area is not None and area.borough_gss == gss for area in found), gss
        checked += len(points)
    assert checked >= 33 * 25


def test_a_point_exactly_on_a_shared_edge_has_one_stable_answer() -> None:
    westminster = shape(Borough.with_boundary.get(name="Westminster").boundary)
    camden = shape(Borough.with_boundary.get(name="Camden").boundary)
    shared = westminster.boundary.intersection(camden.boundary)
    point = shared.interpolate(0.5, normalized=True)
    first = selectors.locate(lat=point.y, lon=point.x)
    assert first.borough_name in {"Westminster", "Camden"}
    assert all(selectors.locate(lat=point.y, lon=point.x) == first for _ in range(3))


def test_batch_lookup_agrees_with_single_lookups() -> None:
    index = selectors.area_index()
    points = [(51.28 + i * 0.0123, -0.51 + j * 0.0311) for i in range(35) for j in range(25)]
    assert index.locate_many(points) == [index.locate(lat, lon) for lat, lon in points]


def test_british_national_grid_against_the_ordnance_survey_worked_example() -> None:
    """OS 'A guide to coordinate systems in Great Britain': Caister water tower is at
    E 651409.903, N 313177.270, i.e. 52°39'27.2531"N 1°43'4.5177"E on the OSGB36 datum. WGS84
    differs from OSGB36 by up to ~120 m around here, so the WGS84 answer lies within that."""
    lat, lon = from_bng(651409.903, 313177.270)
    osgb36_lat, osgb36_lon = 52 + 39 / 60 + 27.2531 / 3600, 1 + 43 / 60 + 4.5177 / 3600
    metres_north = (lat - osgb36_lat) * 111_200
    metres_east = (lon - osgb36_lon) * 111_200 * 0.606  # cos(52.66°)
    assert (metres_north**2 + metres_east**2) ** 0.5 < 150
    easting, northing = to_bng(lat, lon)
    assert abs(easting - 651409.903) < 0.01
    assert abs(northing - 313177.270) < 0.01


def test_bad_coordinates_are_refused_with_a_reason() -> None:
    with pytest.raises(InvalidInput, match=r"latitude must be -90\.\.90"):
        selectors.locate(lat=123.0, lon=0.0)
    with pytest.raises(InvalidInput, match="eastings run 0-700000"):
        from_bng(-5.0, 180000.0)


def test_h3_cells_and_neighbourhoods() -> None:
    cell = h3_cell(51.50809, -0.12804)
    assert cell == h3_cell(51.50810, -0.12805)  # a metre away: same cell
    ring = h3_neighbourhood(cell, rings=1)
    assert cell in ring
    assert len(ring) == 7


def test_loading_the_same_files_again_changes_nothing() -> None:
    before = (Force.objects.count(), Bcu.objects.count(), Borough.objects.count())
    loaded = services.load_geography()
    assert (loaded.forces, loaded.bcus, loaded.boroughs) == (2, 12, 33)
    assert (Force.objects.count(), Bcu.objects.count(), Borough.objects.count()) == before


def test_user_supplied_files_add_a_force_found_by_its_outline(tmp_path: Path) -> None:
    square = {
        "type": "Polygon",
        "coordinates": [[[-1.3, 51.7], [-1.1, 51.7], [-1.1, 51.8], [-1.3, 51.8], [-1.3, 51.7]]],
    }
    boundaries = tmp_path / "b.geojson"
    boundaries.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"gss_code": "E07000178", "name": "Oxford"}, "geometry": square}
                ],
            }
        )
    )
    areas = tmp_path / "a.json"
    areas.write_text(
        json.dumps({"forces": [{"code": "tvp", "name": "Thames Valley Police", "boroughs": ["E07000178"]}]})
    )
    services.load_geography(boundaries=boundaries, areas=areas)
    area = selectors.locate(lat=51.75, lon=-1.25)
    assert (area.force_code, area.borough_name, area.bcu_code) == ("tvp", "Oxford", None)


def test_a_bad_areas_file_changes_nothing(tmp_path: Path) -> None:
    areas = tmp_path / "a.json"
    areas.write_text(json.dumps({"forces": [{"code": "new", "name": "New Force", "boroughs": ["E99999999"]}]}))
    with pytest.raises(InvalidInput, match="no feature with that gss_code"):
        services.load_geography(areas=areas)
    assert not Force.objects.filter(code="new").exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [("{not json", "is not valid JSON"), ('{"type": "FeatureCollection"}', "no list of features")],
)
def test_unreadable_boundary_files_are_explained(tmp_path: Path, content: str, expected: str) -> None:
    boundaries = tmp_path / "b.geojson"
    boundaries.write_text(content)
    with pytest.raises(InvalidInput, match=expected):
        services.load_geography(boundaries=boundaries)


@pytest.mark.parametrize(
    ("areas", "expected"),
    [
        ([], 'needs a "forces" list'),
        ({"forces": [{"name": "No Code Police"}]}, "force 1 in .* needs code"),
        (
            {"forces": [{"code": "x", "name": "X", "bcus": [{"code": "A", "name": "A"}]}]},
            "BCU 1 of X .* needs boroughs",
        ),
    ],
)
def test_malformed_areas_files_are_explained(tmp_path: Path, areas: object, expected: str) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps(areas))
    with pytest.raises(InvalidInput, match=expected):
        services.load_geography(areas=path)


def test_one_shared_transformer_gives_right_answers_from_many_threads() -> None:
    """The BNG transformer is shared by every thread (made once: ~38 ms each) and used under a
    lock; threads hammering it at once all get the answers one thread gets."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from bluelamp.core.geography import from_bng_many, to_bng_many

    points = [(51.4 + i * 0.001, -0.3 + i * 0.002) for i in range(200)]
    expected = [to_bng(lat, lon) for lat, lon in points]

    def work(_: int) -> bool:
        singles = [to_bng(lat, lon) for lat, lon in points]
        eastings, northings = to_bng_many(np.array([p[0] for p in points]), np.array([p[1] for p in points]))
        lats, lons = from_bng_many(eastings, northings)
        return (
            singles == expected
            and np.allclose(eastings, [e for e, _ in expected])
            and np.allclose(lats, [p[0] for p in points], atol=1e-7)
            and np.allclose(lons, [p[1] for p in points], atol=1e-7)
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(work, range(32)))
    assert from_bng(*expected[0]) == pytest.approx(points[0], abs=1e-7)
