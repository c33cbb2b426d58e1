"""Writes for core. Each state change is one function with keyword-only arguments."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from django.contrib.auth.models import Permission
from django.db import transaction
from shapely.geometry import mapping

from bluelamp.core import selectors
from bluelamp.core.errors import InvalidInput
from bluelamp.core.events import emit
from bluelamp.core.gazetteer import search_key
from bluelamp.core.geography import check_lat_lon, geometry_from_geojson
from bluelamp.core.models import Bcu, Borough, Force, ForceHostname, GazetteerPlace, Role

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"
LONDON_BOUNDARIES = DATA_DIR / "london-boroughs.geojson"
LONDON_AREAS = DATA_DIR / "london-areas.json"


@dataclass(frozen=True)
class GeographyLoaded:
    forces: int
    bcus: int
    boroughs: int


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"The {what} file {path} does not exist: give the path to a JSON file.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput(f"The {what} file {path} is not valid JSON ({error}).") from None


def _boundaries_by_gss(path: Path) -> dict[str, tuple[str, dict[str, Any]]]:
    collection = _read_json(path, "boundaries")
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        raise InvalidInput(f"{path} is not a GeoJSON FeatureCollection: it has no list of features.")
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for number, feature in enumerate(features, start=1):
        properties = feature.get("properties") or {}
        code, name = properties.get("gss_code"), properties.get("name")
        if not code or not name:
            raise InvalidInput(f"Feature {number} in {path} needs 'gss_code' and 'name' properties.")
        found[str(code)] = (str(name), feature.get("geometry") or {})
    return found


def _require_keys(item: Any, keys: tuple[str, ...], where: str) -> None:
    missing = [key for key in keys if not isinstance(item, dict) or not item.get(key)]
    if missing:
        raise InvalidInput(f"{where} needs {', '.join(missing)}.")


@transaction.atomic
def load_geography(*, boundaries: Path = LONDON_BOUNDARIES, areas: Path = LONDON_AREAS) -> GeographyLoaded:
    """Create or update forces, their BCUs and boroughs from a boundaries GeoJSON file (one
    feature per local authority, with ``gss_code`` and ``name``) and an areas file saying which
    force and BCU polices each one. Re-running with the same files changes nothing; a bad file
    changes nothing at all."""
    shapes = _boundaries_by_gss(boundaries)
    plan = _read_json(areas, "areas")
    if not isinstance(plan, dict) or not isinstance(plan.get("forces"), list):
        raise InvalidInput(f'{areas} needs a "forces" list: see src/bluelamp/core/data/london-areas.json.')
    forces = bcus = boroughs = 0
    for number, entry in enumerate(plan["forces"], start=1):
        _require_keys(entry, ("code", "name"), f"force {number} in {areas}")
        for group_number, group in enumerate(entry.get("bcus", []), start=1):
            _require_keys(group, ("code", "name", "boroughs"), f"BCU {group_number} of {entry['name']} in {areas}")
        force, _ = Force.objects.update_or_create(
            code=entry["code"], defaults={"name": entry["name"], "short_name": entry.get("short_name", "")}
        )
        for hostname in entry.get("hostnames", []):
            ForceHostname.objects.update_or_create(hostname=hostname, defaults={"force": force})
        groups: list[tuple[Bcu | None, list[str]]] = [(None, entry.get("boroughs", []))]
        for group in entry.get("bcus", []):
            bcu, _ = Bcu.objects.update_or_create(force=force, code=group["code"], defaults={"name": group["name"]})
            groups.append((bcu, group["boroughs"]))
        geometries = []
        for group_bcu, codes in groups:
            for code in codes:
                if code not in shapes:
                    raise InvalidInput(
                        f"{areas} puts borough {code} in {entry['name']}, "
                        f"but {boundaries} has no feature with that gss_code."
                    )
                name, geojson = shapes[code]
                geometry = geometry_from_geojson(geojson)
                geometries.append(geometry)
                Borough.objects.update_or_create(
                    gss_code=code,
                    defaults={"name": name, "force": force, "bcu": group_bcu, "boundary": mapping(geometry)},
                )
        if geometries:
            force.boundary = mapping(shapely.union_all(geometries))
            force.save(update_fields=["boundary"])
        forces, bcus, boroughs = forces + 1, bcus + len(groups) - 1, boroughs + len(geometries)
    # Forget the cached index now (this thread) and again at commit (threads that rebuilt it
    # from the old rows in between).
    selectors.forget_area_index()
    transaction.on_commit(selectors.forget_area_index)
    loaded = GeographyLoaded(forces=forces, bcus=bcus, boroughs=boroughs)
    logger.info("geography loaded: %s", loaded)
    return loaded


@transaction.atomic
def add_force(*, code: str, name: str, short_name: str = "") -> Force:
    """The force with ``code``, added to the platform (without a boundary: ``load_geography``
    gives it one) if it is not there yet. A force already there is left as it is."""
    code, name = code.strip(), name.strip()
    if not code or not name:
        raise InvalidInput("A force needs a code and a name, e.g. code 'kent' and name 'Kent Police'.")
    force, created = Force.objects.get_or_create(code=code, defaults={"name": name, "short_name": short_name})
    if created:  # a force is not personal data: an event, no audit entry (as for roles)
        emit("core.force.added", force=force, code=force.code, name=force.name)
    return force


@transaction.atomic
def add_force_hostname(*, force: Force, hostname: str) -> ForceHostname:
    """Serve ``force``'s public site at ``hostname`` (kept in lower case). A hostname another
    force already has is refused: one hostname shows one force's site."""
    hostname = hostname.strip().lower()
    if not hostname:
        raise InvalidInput(f"Give a hostname for {force.name}'s site, e.g. 'kent.police.example'.")
    owner = ForceHostname.objects.filter(hostname=hostname).exclude(force=force).select_related("force").first()
    if owner is not None:
        raise InvalidInput(f"{hostname} already belongs to {owner.force.name}.")
    found, created = ForceHostname.objects.get_or_create(hostname=hostname, defaults={"force": force})
    if created:
        emit("core.force.hostname_added", force=force, hostname=hostname)
    return found


ROLES_FILE = DATA_DIR / "roles.json"


def _permissions(names: list[str]) -> list[Permission]:
    found = []
    for name in names:
        app_label, _, codename = name.partition(".")
        try:
            found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        except Permission.DoesNotExist:
            raise InvalidInput(f"Unknown permission {name!r}: write it as app_label.codename.") from None
    return found


@transaction.atomic
def seed_roles(*, force: Force, roles_file: Path = ROLES_FILE) -> list[Role]:
    """Give a force the default roles from ``roles.json``. Roles it already has are left as
    its administrator made them; only missing ones are added."""
    created = []
    for spec in _read_json(roles_file, "roles").get("roles", []):
        role, made = Role.objects.get_or_create(
            force=force,
            code=spec["code"],
            defaults={
                "name": spec["name"],
                "description": spec.get("description", ""),
                "national": spec.get("national", False),
            },
        )
        if made:
            role.permissions.set(_permissions(spec.get("permissions", [])))
            created.append(role)
    if created:
        emit("core.roles.seeded", force=force, roles=[r.code for r in created])
    return created


@transaction.atomic
def load_gazetteer(rows: Iterable[Mapping[str, str]], *, source: str) -> int:
    """Replace the places of ``source`` with ``rows`` (``name``, ``lat``, ``lon`` and, optionally,
    ``locality``; without one, the borough the point is in). All or nothing: a bad row changes
    nothing and is named. A name repeated in the same locality keeps its first point."""
    source = source.strip()
    if not source:
        raise InvalidInput("Name the source of the places (e.g. 'OS Open Names 2026-10').")
    places: dict[tuple[str, str], GazetteerPlace] = {}
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        name = (row.get("name") or "").strip()
        try:
            lat, lon = float(row.get("lat") or ""), float(row.get("lon") or "")
            check_lat_lon(lat, lon)
        except (ValueError, InvalidInput):
            raise InvalidInput(f"Row {number}: give lat and lon as decimal degrees (WGS84).") from None
        if not name:
            raise InvalidInput(f"Row {number}: the place needs a name.")
        locality = (row.get("locality") or "").strip() or _borough_name_at(lat, lon)
        places.setdefault(
            (name, locality),
            GazetteerPlace(
                name=name[:120],
                locality=locality[:80],
                search_key=search_key(name, locality),
                lat=lat,
                lon=lon,
                source=source[:80],
            ),
        )
    GazetteerPlace.objects.filter(source=source).delete()
    GazetteerPlace.objects.bulk_create(places.values(), batch_size=1000)
    emit("core.gazetteer.loaded", source=source, places=len(places))
    logger.info("gazetteer loaded: %s places from %s", len(places), source)
    return len(places)


def _borough_name_at(lat: float, lon: float) -> str:
    found = selectors.area_index().locate(lat, lon)
    return (found.borough_name or found.force_name) if found else ""
