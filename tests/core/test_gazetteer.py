"""The gazetteer: places a call handler finds by name instead of typing a map point."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from bluelamp.core import selectors, services
from bluelamp.core.errors import InvalidInput
from bluelamp.core.models import GazetteerPlace
from bluelamp.demo import places

pytestmark = pytest.mark.usefixtures("london")
SOURCE = "test places"


def _load(*rows: dict[str, str], source: str = SOURCE) -> int:
    return services.load_gazetteer(rows, source=source)


def _names(text: str) -> list[str]:
    return [str(place) for place in selectors.find_places(text)]


def test_places_are_found_by_the_words_typed_in_any_order_and_abbreviated() -> None:
    _load(
        {"name": "Baker Street", "lat": "51.5226", "lon": "-0.1571"},
        {"name": "Baker's Row", "lat": "51.5226", "lon": "-0.1100"},
        {"name": "Old Baker Lane", "lat": "51.4000", "lon": "-0.1000", "locality": "Somewhere"},
    )
    assert _names("baker st") == ["Baker Street, Westminster"]  # the borough comes from the point
    assert _names("westminster BAKER") == ["Baker Street, Westminster"]
    assert _names("bakers") == ["Baker's Row, Camden"]
    assert _names("baker")[-1] == "Old Baker Lane, Somewhere"  # names starting with the first word first
    assert _names("ba") == []  # too little typed to mean anything


def test_a_bad_row_is_named_and_nothing_changes() -> None:
    _load({"name": "Baker Street", "lat": "51.5226", "lon": "-0.1571"})
    with pytest.raises(InvalidInput, match="Row 3: give lat and lon as decimal degrees"):
        _load(
            {"name": "Fleet Street", "lat": "51.514", "lon": "-0.107"}, {"name": "Nowhere", "lat": "north", "lon": "0"}
        )
    with pytest.raises(InvalidInput, match="Row 2: the place needs a name"):
        _load({"name": " ", "lat": "51.514", "lon": "-0.107"})
    assert _names("street") == ["Baker Street, Westminster"]


def test_reloading_a_source_replaces_only_that_source() -> None:
    _load({"name": "Baker Street", "lat": "51.5226", "lon": "-0.1571"})
    _load({"name": "Fleet Street", "lat": "51.514", "lon": "-0.107"}, source="another")
    strand = {"name": "Strand", "locality": "Westminster"}
    _load(strand | {"lat": "51.5111", "lon": "-0.1198"}, strand | {"lat": "51.5", "lon": "-0.1"})  # first one kept
    assert sorted(GazetteerPlace.objects.values_list("name", "source")) == [
        ("Fleet Street", "another"),
        ("Strand", SOURCE),
    ]
    assert GazetteerPlace.objects.get(name="Strand").lat == 51.5111


def test_the_command_loads_a_csv_and_explains_a_bad_one(tmp_path: Path) -> None:
    good = tmp_path / "open-names.csv"
    good.write_text("name,lat,lon,locality\nFleet Street,51.514,-0.107,City of London\n", encoding="utf-8")
    call_command("load_gazetteer", str(good), source="OS Open Names")
    assert _names("fleet") == ["Fleet Street, City of London"]
    bad = tmp_path / "bad.csv"
    bad.write_text("street,latitude,longitude\nFleet Street,51.514,-0.107\n", encoding="utf-8")
    with pytest.raises(CommandError, match="has no lat, lon, name column"):
        call_command("load_gazetteer", str(bad))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("load_gazetteer", str(tmp_path / "missing.csv"))
    assert GazetteerPlace.objects.count() == 1


def test_the_demo_gazetteer_holds_streets_not_anonymised_point_names() -> None:
    rows = places.street_rows()
    names = {row["name"] for row in rows}
    assert len(rows) > 1000
    assert "Hatch Grove" in names
    assert not any(name.lower() in {"supermarket", "parking area", "petrol station"} for name in names)
    assert all(row["locality"] for row in rows)
    services.load_gazetteer(places.landmark_rows(), source=places.LANDMARKS_SOURCE)
    assert _names("trafalgar") == ["Trafalgar Square, Westminster"]
    assert _names("bank stn") == ["Bank station, City of London"]  # placed by its point: the City


def test_the_geography_api_finds_places(client: Client) -> None:
    _load({"name": "Baker Street", "lat": "51.5226", "lon": "-0.1571"})
    found = client.get("/api/v1/geography/places", {"q": "baker st"})
    assert found.status_code == 200
    assert found.json() == [{"name": "Baker Street", "locality": "Westminster", "lat": 51.5226, "lon": -0.1571}]
    assert client.get("/api/v1/geography/places").status_code == 422  # q is required
