"""The pure parts: plate and address normal forms, calendar months, distances and h3 disks."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from pyproj import Geod

from bluelamp.pole import catalogue, nearby
from bluelamp.pole.months import add_months
from tests.pole.conftest import HERE, offset


@pytest.mark.parametrize(
    ("written", "normal"),
    [("ab12 cde", "AB12CDE"), ("AB-12-CDE", "AB12CDE"), (" a b 1 2.c·d e ", "AB12CDE"), ("!!", "")],
)
def test_plates_are_compared_in_upper_case_without_spaces_or_punctuation(written: str, normal: str) -> None:
    assert catalogue.normalise_plate(written) == normal


def test_addresses_are_compared_without_case_commas_or_extra_spaces() -> None:
    assert catalogue.normalise_address("20  Deans Yard,  LONDON") == catalogue.normalise_address("20 deans yard london")


@pytest.mark.parametrize(
    ("when", "months", "expected"),
    [
        (dt.date(2026, 3, 31), 1, dt.date(2026, 4, 30)),
        (dt.date(2026, 7, 14), -12, dt.date(2025, 7, 14)),
        (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
        (dt.date(2026, 1, 15), -1, dt.date(2025, 12, 15)),
    ],
)
def test_months_are_calendar_months(when: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(when, months) == expected


def test_haversine_agrees_with_the_ellipsoid_within_half_a_percent() -> None:
    geod = Geod(ellps="WGS84")
    for metres in (10, 50, 250, 2000):
        lat, lon = offset(metres, bearing=37)
        _, _, exact = geod.inv(HERE[1], HERE[0], lon, lat)
        assert nearby.haversine_m(*HERE, lat, lon) == pytest.approx(exact, rel=0.005)


@pytest.mark.parametrize("radius", [10, 50, 250])
def test_the_h3_disk_holds_every_point_within_the_radius(radius: float) -> None:
    shuffle = random.Random(62)  # noqa: S311 - test points, not secrets
    for _ in range(200):
        origin = offset(shuffle.uniform(0, 500), bearing=shuffle.uniform(0, 360))
        cells = nearby.cells_within(*origin, radius)
        point = offset(radius * 0.999, bearing=shuffle.uniform(0, 360), origin=origin)
        assert nearby.cell_of(*point) in cells


def test_fifty_metres_is_one_ring_of_seven_cells_in_london() -> None:
    assert len(nearby.cells_within(*HERE, 50)) == 7


def test_every_marker_type_has_a_review_period() -> None:
    assert all(catalogue.review_months(code) > 0 for code, _ in catalogue.marker_types())
    assert {"weapons", "violence", "mental_health", "vulnerable_person", "officer_safety", "drugs"} <= {
        code for code, _ in catalogue.marker_types()
    }
