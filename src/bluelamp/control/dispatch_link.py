"""The control-room screens' one door to a dispatch engine (AVL positions, recommendations,
pre-planned operations).

The dispatch app depends on control: it reads incidents and units through control's selectors
and sends units through control's services. So control never imports dispatch; the engine
registers itself here when its app is ready (``bluelamp.dispatch.apps``). The screens also work
without one, or for a user whose role does not include dispatch: no positions (units are listed
beside the map), no recommendation (the dispatcher picks a unit and says why), no operations."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import transaction

from bluelamp.control.incidents import log as incident_log
from bluelamp.control.units import assignments as unit_assignments
from bluelamp.core.access import Actor
from bluelamp.core.errors import InvalidInput

VIEW_POSITIONS = "dispatch.view_unitposition"
RECOMMEND = "dispatch.recommend_resources"
VIEW_OPERATIONS = "dispatch.view_operation"


@dataclass(frozen=True)
class Position:
    lat: float
    lon: float
    at: str | None
    stale: bool


@dataclass(frozen=True)
class Option:
    unit_id: int
    call_sign: str
    unit_type: str
    eta_minutes: int
    recommended: bool  # among the units one keystroke sends
    reasons: list[str]


@dataclass
class Advice:
    options: list[Option] = field(default_factory=list)
    message: str = ""

    @property
    def recommended(self) -> list[Option]:
        return [o for o in self.options if o.recommended]


class Engine(Protocol):
    """What the screens ask of a dispatch engine. Each call is made only for an actor who holds
    the matching permission above."""

    def positions(self, *, actor: Actor) -> dict[int, Position]: ...

    def advice(self, *, actor: Actor, incident: Any) -> Advice: ...

    def dispatch(self, *, actor: Actor, incident: Any, unit_id: int | None, reason: str, position: str) -> Any: ...

    def running_operations(self, *, actor: Actor, at: dt.datetime) -> list[Any]: ...


_engines: list[Engine] = []


def register(engine: Engine | None) -> None:
    """Make ``engine`` the one the screens use (the dispatch app calls this once it is ready);
    None leaves the screens without one, as without the dispatch app."""
    _engines[:] = [engine] if engine is not None else []


def engine() -> Engine | None:
    return _engines[0] if _engines else None


def installed() -> bool:
    return engine() is not None


def positions(*, actor: Actor) -> dict[int, Position]:
    """Latest positions of the actor's force's units (empty without a dispatch engine or the
    permission to see positions)."""
    found = engine()
    if found is None or not actor.has_perm(VIEW_POSITIONS) or actor.force_id is None:
        return {}
    return found.positions(actor=actor)


def recommendation(*, actor: Actor, incident: Any) -> Advice | None:
    """The dispatch engine's recommendation for ``incident``, or None when there is no engine
    (or the actor may not ask it)."""
    found = engine()
    if found is None or not actor.has_perm(RECOMMEND):
        return None
    try:
        return found.advice(actor=actor, incident=incident)
    except InvalidInput as error:
        return Advice(message=error.message)


def running_operations(*, actor: Actor, now: dt.datetime) -> list[Any]:
    """Pre-planned operations running now (none without an engine or the permission)."""
    found = engine()
    if found is None or not actor.has_perm(VIEW_OPERATIONS):
        return []
    return found.running_operations(actor=actor, at=now)


def assign(
    *,
    actor: Actor,
    incident: Any,
    unit: Any | None,
    override_reason: str = "",
    expected_version: int | None = None,
    position: str = "",
) -> Any:
    """Send ``unit`` to ``incident`` — or, with no unit, the recommended unit(s). With the
    dispatch engine, it decides whether this overrides its recommendation (the reason is then
    required and written in the incident's log); without it, a given reason is logged."""
    found = engine()
    if found is not None and actor.has_perm(RECOMMEND):
        return found.dispatch(
            actor=actor,
            incident=incident,
            unit_id=unit.pk if unit is not None else None,
            reason=override_reason,
            position=position,
        )
    if unit is None:
        raise InvalidInput("Choose a unit to assign: there is no recommendation without the dispatch engine.")
    with transaction.atomic():
        assignment = unit_assignments.assign_unit(
            actor=actor, incident=incident, unit=unit, expected_version=expected_version, position=position
        )
        if override_reason:
            incident_log.add_log_entry(
                actor=actor,
                incident=assignment.incident,
                text=f"Recommendation overridden: {unit.call_sign} sent because {override_reason}",
                position=position,
            )
    return assignment
