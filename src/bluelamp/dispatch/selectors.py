"""Reads for dispatch, scoped by the actor's force and permissions (``core.access``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from bluelamp.control.units import selectors as unit_selectors
from bluelamp.core.access import Actor, get_scoped, require, scoped
from bluelamp.core.errors import PermissionDenied
from bluelamp.dispatch import store
from bluelamp.dispatch.models import Operation, OperationLogEntry, PositionSample

VIEW_POSITIONS = "dispatch.view_unitposition"
VIEW_OPERATION = "dispatch.view_operation"


@dataclass(frozen=True)
class Position:
    unit_id: int
    call_sign: str
    lat: float
    lon: float
    at: str
    stale: bool


def latest_positions(*, actor: Actor, force_id: int | None = None) -> list[Position]:
    """Every unit of the force with a known position, from the in-memory index, stale flagged."""
    require(actor, VIEW_POSITIONS)
    wanted = force_id if force_id is not None and actor.has_perm("core.read_across_forces") else actor.force_id
    if wanted is None:
        raise PermissionDenied("Only members of a force can see its units' positions.")
    index = store.index_for(wanted)
    return [Position(*row) for row in index.latest(now=timezone.now().timestamp())]


def position_history(
    *, actor: Actor, unit_id: int, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> QuerySet[PositionSample]:
    """The sampled history of one unit (404 for another force's unit)."""
    unit = unit_selectors.unit(actor=actor, unit_id=unit_id, permission=VIEW_POSITIONS)
    found = PositionSample.objects.filter(unit=unit)
    if since is not None:
        found = found.filter(at__gte=since)
    if until is not None:
        found = found.filter(at__lte=until)
    return found.order_by("at")


def operations(*, actor: Actor, running_at: dt.datetime | None = None) -> QuerySet[Operation]:
    found = scoped(Operation.objects.all(), actor, permission=VIEW_OPERATION)
    if running_at is not None:
        found = found.filter(starts_at__lte=running_at, ends_at__gt=running_at)
    return found


def operation(*, actor: Actor, operation_id: int) -> Operation:
    return get_scoped(Operation.objects.all(), actor, permission=VIEW_OPERATION, pk=operation_id)


def operation_log(found: Operation) -> QuerySet[OperationLogEntry]:
    return found.log.order_by("id")


@dataclass(frozen=True)
class RunningOperation:
    operation: Operation
    units: int  # reserved now
    incidents: int  # tagged
    open_incidents: int


def running_operations(*, actor: Actor, at: dt.datetime | None = None) -> list[RunningOperation]:
    """Operations running at ``at`` (default now) with their counts, for the command view."""
    at = at or timezone.now()
    found = operations(actor=actor, running_at=at).annotate(
        reserved=Count("resources", filter=Q(resources__until_at__isnull=True), distinct=True),
        tagged=Count("incidents", distinct=True),
        open_tagged=Count("incidents", filter=~Q(incidents__incident__status="closed"), distinct=True),
    )
    return [RunningOperation(o, o.reserved, o.tagged, o.open_tagged) for o in found.order_by("starts_at", "pk")]
