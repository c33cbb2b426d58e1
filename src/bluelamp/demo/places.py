"""The demo's gazetteer: streets from the real places of crime the demo already uses
(data.police.uk, see data/ATTRIBUTION.md; "On or near Hatch Grove" becomes Hatch Grove, at the
middle of its points in each borough), and some well-known central London places at approximate
points (data/landmarks.csv). A force loads a real gazetteer instead (OS Open Names)."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from statistics import fmean

from bluelamp.core import selectors
from bluelamp.demo.scenario import crime_points

SOURCE = "demo: data.police.uk street points, January 2023"
LANDMARKS = Path(__file__).parent / "data" / "landmarks.csv"
LANDMARKS_SOURCE = "demo: central London landmarks (approximate points)"
PREFIX = "On or near "
# data.police.uk also names anonymised points by what is there ("Supermarket", "Parking Area");
# only names that end like a street or a station are places a caller would give.
STREET_ENDINGS = frozenset(
    {
        "road",
        "street",
        "lane",
        "avenue",
        "close",
        "way",
        "grove",
        "gardens",
        "drive",
        "place",
        "crescent",
        "court",
        "hill",
        "square",
        "terrace",
        "walk",
        "park",
        "rise",
        "green",
        "row",
        "mews",
        "parade",
        "broadway",
        "yard",
        "gate",
        "end",
        "vale",
        "view",
        "mead",
        "wharf",
        "bridge",
        "embankment",
        "circus",
        "approach",
        "station",
        "passage",
        "path",
        "alley",
    }
)


def street_rows() -> list[dict[str, str]]:
    points: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    index = selectors.area_index()
    for point in crime_points():
        name = point.location.removeprefix(PREFIX).strip()
        if not name or name.split()[-1].lower() not in STREET_ENDINGS:
            continue
        area = index.locate(point.lat, point.lon)
        if area is not None and area.borough_name:
            points[(name, area.borough_name)].append((point.lat, point.lon))
    return [
        {
            "name": name,
            "locality": borough,
            "lat": f"{fmean(lat for lat, _ in where):.6f}",
            "lon": f"{fmean(lon for _, lon in where):.6f}",
        }
        for (name, borough), where in sorted(points.items())
    ]


def landmark_rows() -> list[dict[str, str]]:
    with LANDMARKS.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))
