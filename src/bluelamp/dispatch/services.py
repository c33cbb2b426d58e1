"""Writes for dispatch: sending the recommended unit (or another, with the reason in the
incident's log), and pre-planned operations (their area, window, reserved units, tagged
incidents and log). Each is one transaction that emits its event; AVL positions are in
``avl.py``."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import shapely
from django.db import transaction
from django.utils import timezone
from shapely.geometry import mapping

from bluelamp.control.incidents import log as incident_log
from bluelamp.control.incidents import selectors as incident_selectors
from bluelamp.control.units import assignments as unit_assignments
from bluelamp.control.units import selectors as unit_selectors
from bluelamp.control.units import services as unit_services
from bluelamp.core.access import Actor, require
from bluelamp.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bluelamp.core.events import emit
from bluelamp.core.geography import geometry_from_geojson
from bluelamp.core.models import Force, User
from bluelamp.dispatch import recommend as recommender
from bluelamp.dispatch.models import Operation, OperationIncident, OperationLogEntry, OperationResource

if TYPE_CHECKING:  # named in annotations only: control's records are read through its selectors
    from bluelamp.control.models import Assignment, Incident

logger = logging.getLogger(__name__)

ADD_OPERATION = "dispatch.add_operation"
CHANGE_OPERATION = "dispatch.change_operation"
VIEW_OPERATION = "dispatch.view_operation"
MAX_AREA_VERTICES = 20_000


def _user(actor: Actor | None) -> User | None:
    return actor if isinstance(actor, User) else None


def _label(actor: Actor | None) -> str:
    if isinstance(actor, User):
        return actor.get_username()
    return "system" if actor is None else str(actor)


def _force_id(actor: Actor) -> int:
    if actor.force_id is None:
        raise PermissionDenied("Only members of a force can do this.")
    return actor.force_id


# Dispatching ------------------------------------------------------------------------------


@dataclass
class Dispatched:
    assignments: list[Assignment]
    overridden: bool
    recommended: list[str]  # call signs the recommendation named


@transaction.atomic
def dispatch(
    *,
    actor: Actor,
    incident: Incident,
    unit_id: int | None = None,
    reason: str = "",
    preemptible: bool = False,
    position: str = "",
) -> Dispatched:
    """Send the recommended unit(s) — as many as the incident needs — in one call; or send
    ``unit_id`` instead, which, if it is not among the recommended, needs a ``reason`` that is
    written to the incident's log. Assignment goes through ``control.units.assignments.assign_unit``,
    which checks status, crew and commitment again."""
    require(actor, unit_services.DISPATCH)
    recommendation = recommender.recommend(actor=actor, incident=incident, preemptible=preemptible)
    incident = recommendation.incident
    chosen = [o for o in recommendation.offered if o.recommended]
    named = [o.candidate.call_sign for o in chosen]
    if unit_id is None:
        if not chosen:
            problem = recommendation.no_candidate
            raise Conflict(problem.message if problem else "No unit can be recommended for this incident.")
        units = [o.candidate.unit_id for o in chosen]
        overridden = False
    else:
        units = [unit_id]
        overridden = unit_id not in {o.candidate.unit_id for o in chosen}
    assignments = []
    if overridden:
        if not reason.strip():
            raise InvalidInput(
                "This unit is not the recommended one"
                + (f" ({', '.join(named)})" if named else "")
                + ": give the reason for choosing it; it is written to the incident log."
            )
        unit = unit_selectors.force_units(incident.force_id, units[:1]).get(units[0])
        if unit is None:
            raise NotFound("No such unit in your force.")
        incident_log.add_log_entry(
            actor=actor,
            incident=incident,
            text=(
                f"Recommendation overridden: sending {unit.call_sign} instead of "
                f"{', '.join(named) if named else 'no recommended unit'}. Reason: {reason.strip()}"
            ),
            position=position,
        )
    for pk in units:
        unit = unit_selectors.force_units(incident.force_id, [pk]).get(pk)
        if unit is None:
            raise NotFound("No such unit in your force.")
        offered = next((o for o in recommendation.offered if o.candidate.unit_id == pk), None)
        reassign = bool(preemptible and offered and offered.candidate.preemptible)
        assignments.append(
            unit_assignments.assign_unit(
                actor=actor, incident=incident, unit=unit, reassign=reassign, position=position
            )
        )
    emit(
        "dispatch.recommendation.overridden" if overridden else "dispatch.recommendation.followed",
        force=incident.force,
        incident_id=incident.pk,
        unit_ids=units,
        recommended=named,
    )
    return Dispatched(assignments, overridden, named)


# Pre-planned operations ---------------------------------------------------------------------


def area_from_geojson(value: Any) -> dict[str, Any]:
    """A valid polygon or multipolygon (WGS84) from a GeoJSON geometry, Feature or
    FeatureCollection; a clear error otherwise."""
    if not isinstance(value, dict):
        raise InvalidInput("The area must be a GeoJSON object.")
    kind = value.get("type")
    if kind == "FeatureCollection":
        features = value.get("features") or []
        if not isinstance(features, list) or not features:
            raise InvalidInput("The GeoJSON FeatureCollection has no features.")
        shapes = [geometry_from_geojson((f or {}).get("geometry") or {}) for f in features if isinstance(f, dict)]
        geometry = shapely.union_all(shapes)
    elif kind == "Feature":
        geometry = geometry_from_geojson(value.get("geometry") or {})
    else:
        geometry = geometry_from_geojson(value)
    if geometry.geom_type not in {"Polygon", "MultiPolygon"}:
        raise InvalidInput(f"The area must be a polygon; this is a {geometry.geom_type}.")
    west, south, east, north = geometry.bounds
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise InvalidInput("The area's coordinates are not longitude/latitude (WGS84) pairs.")
    if shapely.get_num_coordinates(geometry) > MAX_AREA_VERTICES:
        raise InvalidInput(f"The area has more than {MAX_AREA_VERTICES:,} points: simplify it.")
    if geometry.area == 0:
        raise InvalidInput("The area is empty.")
    return dict(mapping(geometry))


def _log(operation: Operation, actor: Actor | None, kind: str, text: str, **data: Any) -> OperationLogEntry:
    return OperationLogEntry.objects.create(
        operation=operation, at=timezone.now(), by=_user(actor), by_label=_label(actor), kind=kind, text=text, data=data
    )


@transaction.atomic
def create_operation(
    *,
    actor: Actor,
    name: str,
    commander: str,
    area: Any,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    commander_user: User | None = None,
) -> Operation:
    """A pre-planned operation of the actor's force."""
    require(actor, ADD_OPERATION)
    force_id = _force_id(actor)
    if not name.strip():
        raise InvalidInput("Give the operation a name.")
    if not commander.strip() and commander_user is None:
        raise InvalidInput("Name the operation's commander.")
    if commander_user is not None and commander_user.force_id != force_id:
        raise NotFound("No such user in your force.")
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise InvalidInput("Give the start and end times with their time zone.")
    if ends_at <= starts_at:
        raise InvalidInput("The operation must end after it starts.")
    geometry = area_from_geojson(area)
    west, south, east, north = shapely.geometry.shape(geometry).bounds
    operation = Operation.objects.create(
        force_id=force_id,
        name=name.strip(),
        commander=commander.strip() or (commander_user.get_full_name() if commander_user else ""),
        commander_user=commander_user,
        area=geometry,
        min_lat=south,
        min_lon=west,
        max_lat=north,
        max_lon=east,
        starts_at=starts_at,
        ends_at=ends_at,
        created_at=timezone.now(),
        created_by_label=_label(actor),
    )
    _log(operation, actor, "created", f"Operation {operation.name} created, commander {operation.commander}")
    emit("dispatch.operation.created", force=Force(pk=force_id), operation_id=operation.pk)
    return operation


def _locked_operation(actor: Actor, operation: Operation) -> Operation:
    if operation.force_id != actor.force_id:
        raise NotFound("No such operation in your force.")
    return Operation.objects.select_for_update().get(pk=operation.pk)


@transaction.atomic
def reserve_units(*, actor: Actor, operation: Operation, unit_ids: list[int]) -> list[OperationResource]:
    """Reserve units for the operation: while it runs they are not offered for general dispatch."""
    require(actor, CHANGE_OPERATION)
    locked = _locked_operation(actor, operation)
    now = timezone.now()
    if locked.ends_at <= now:
        raise Conflict(f"Operation {locked.name} has ended.")
    units = unit_selectors.force_units(locked.force_id, unit_ids)
    missing = [pk for pk in unit_ids if pk not in units]
    if missing:
        raise NotFound(f"No such unit(s) in your force: {', '.join(map(str, missing))}.")
    made = []
    for pk in dict.fromkeys(unit_ids):
        unit = units[pk]
        clash = (
            OperationResource.objects.filter(unit=unit, until_at__isnull=True)
            .exclude(operation=locked)
            .filter(operation__starts_at__lt=locked.ends_at, operation__ends_at__gt=locked.starts_at)
            .select_related("operation")
            .first()
        )
        if clash is not None:
            raise Conflict(f"Unit {unit.call_sign} is already reserved for operation {clash.operation.name}.")
        if OperationResource.objects.filter(operation=locked, unit=unit, until_at__isnull=True).exists():
            continue
        made.append(OperationResource.objects.create(operation=locked, unit=unit, from_at=now, by_label=_label(actor)))
        _log(locked, actor, "unit_reserved", f"Unit {unit.call_sign} reserved for the operation", unit_id=unit.pk)
    emit(
        "dispatch.operation.units_reserved", force=Force(pk=locked.force_id), operation_id=locked.pk, unit_ids=unit_ids
    )
    return made


@transaction.atomic
def release_unit(*, actor: Actor, operation: Operation, unit_id: int) -> OperationResource:
    """Give a reserved unit back to general dispatch."""
    require(actor, CHANGE_OPERATION)
    locked = _locked_operation(actor, operation)
    reservation = (
        OperationResource.objects.select_for_update()
        .filter(operation=locked, unit_id=unit_id, until_at__isnull=True)
        .select_related("unit")
        .first()
    )
    if reservation is None:
        raise NotFound("That unit is not reserved for this operation.")
    reservation.until_at = timezone.now()
    reservation.save(update_fields=["until_at"])
    _log(locked, actor, "unit_released", f"Unit {reservation.unit.call_sign} released", unit_id=unit_id)
    emit("dispatch.operation.unit_released", force=Force(pk=locked.force_id), operation_id=locked.pk, unit_id=unit_id)
    return reservation


@transaction.atomic
def add_operation_log_entry(*, actor: Actor, operation: Operation, text: str) -> OperationLogEntry:
    require(actor, CHANGE_OPERATION)
    locked = _locked_operation(actor, operation)
    if not text.strip():
        raise InvalidInput("A log entry needs some text.")
    entry = _log(locked, actor, "text", text.strip())
    emit("dispatch.operation.logged", force=Force(pk=locked.force_id), operation_id=locked.pk, entry_id=entry.pk)
    return entry


@transaction.atomic
def end_operation(*, actor: Actor, operation: Operation) -> Operation:
    """End the operation now: its reserved units go back to general dispatch."""
    require(actor, CHANGE_OPERATION)
    locked = _locked_operation(actor, operation)
    now = timezone.now()
    if locked.ends_at <= now:
        raise Conflict(f"Operation {locked.name} has already ended.")
    locked.ends_at = max(now, locked.starts_at + dt.timedelta(seconds=1))
    locked.version += 1
    locked.save(update_fields=["ends_at", "version"])
    OperationResource.objects.filter(operation=locked, until_at__isnull=True).update(until_at=locked.ends_at)
    _log(locked, actor, "ended", f"Operation {locked.name} ended")
    emit("dispatch.operation.ended", force=Force(pk=locked.force_id), operation_id=locked.pk)
    return locked


def tag_incidents(incidents: list[Incident]) -> list[OperationIncident]:
    """Tag new incidents to every operation of their force whose area holds them, during whose
    window they were created (see :func:`operations_holding`)."""
    return tag_to_operations(operations_holding(incidents))


def tag_to_operations(pairs: list[tuple[Operation, Incident]]) -> list[OperationIncident]:
    """Tag each incident to its operation (pairs from :func:`operations_holding`); the new tags.
    Called by the `dispatch.operations` consumer of the outbox once the incident has committed."""
    return [tag for operation, incident in pairs if (tag := _tag(operation, incident)) is not None]


def operations_holding(incidents: list[Incident]) -> list[tuple[Operation, Incident]]:
    """Each operation of the incidents' force whose area holds one of them, during whose window
    it was created, with that incident: one query for them all (a read; nothing is written)."""
    placed = [
        (incident, lat, lon)
        for incident in incidents
        if (lat := incident.lat) is not None and (lon := incident.lon) is not None
    ]
    if not placed:
        return []
    lats, lons = [lat for _, lat, _ in placed], [lon for _, _, lon in placed]
    forces = {incident.force_id for incident, _, _ in placed}
    created = [incident.created_at for incident, _, _ in placed]
    candidates = Operation.objects.filter(
        force_id__in=forces,
        starts_at__lte=max(created),
        ends_at__gt=min(created),
        min_lat__lte=max(lats),
        max_lat__gte=min(lats),
        min_lon__lte=max(lons),
        max_lon__gte=min(lons),
    )
    return [
        (operation, incident)
        for operation in candidates
        for incident, lat, lon in placed
        if _holds(operation, incident, lat, lon)
    ]


def _holds(operation: Operation, incident: Incident, lat: float, lon: float) -> bool:
    return (
        operation.force_id == incident.force_id
        and operation.starts_at <= incident.created_at < operation.ends_at
        and operation.min_lat <= lat <= operation.max_lat
        and operation.min_lon <= lon <= operation.max_lon
        and shapely.geometry.shape(operation.area).covers(shapely.Point(lon, lat))
    )


def _tag(operation: Operation, incident: Incident) -> OperationIncident | None:
    """The new tag of ``incident`` to ``operation``, logged and emitted; None if it was tagged."""
    tag, created = OperationIncident.objects.get_or_create(
        operation=operation, incident_id=incident.pk, defaults={"tagged_at": timezone.now(), "automatic": True}
    )
    if not created:
        return None
    _log(
        operation,
        None,
        "incident_tagged",
        # Named by what and where: the incident is tagged before it has its CAD number (the
        # control room gives it last); its id is in the entry's data.
        f"Incident tagged: {incident.opening_category} at {incident.address or 'a map point'}, created inside the area",
        incident_id=incident.pk,
    )
    emit(
        "dispatch.operation.incident_tagged",
        force=Force(pk=incident.force_id),
        operation_id=operation.pk,
        incident_id=incident.pk,
    )
    return tag


def incident_view(actor: Actor, incident_id: int) -> Incident:
    return incident_selectors.incident(actor=actor, incident_id=incident_id)
