"""The control-room screens' one door to the dispatch app (AVL positions, recommendations,
pre-planned operations). The screens also work without it, or for a user whose role does not
include dispatch: no positions (units are listed beside the map), no recommendation (the
dispatcher picks a unit and says why), no operations."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

from bluelamp.core.access import Actor
from bluelamp.core.errors import InvalidInput

if TYPE_CHECKING:
    from bluelamp.control.screens import Position

VIEW_POSITIONS = "dispatch.view_unitposition"
RECOMMEND = "dispatch.recommend_resources"


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"bluelamp.dispatch.{name}")
    except ImportError:
        return None


def installed() -> bool:
    return _module("selectors") is not None


def positions(*, actor: Actor) -> dict[int, Position]:
    """Latest positions of the actor's force's units (empty without the dispatch app or the
    permission to see positions)."""
    from bluelamp.control.screens import Position

    found = _module("selectors")
    if found is None or not actor.has_perm(VIEW_POSITIONS) or actor.force_id is None:
        return {}
    return {p.unit_id: Position(p.lat, p.lon, p.at, p.stale) for p in found.latest_positions(actor=actor)}


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


def recommendation(*, actor: Actor, incident: Any) -> Advice | None:
    """The dispatch engine's recommendation for ``incident``, or None when there is no engine
    (or the actor may not ask it)."""
    found = _module("recommend")
    if found is None or not actor.has_perm(RECOMMEND):
        return None
    try:
        answer = found.recommend(actor=actor, incident=incident)
    except InvalidInput as error:
        return Advice(message=error.message)
    options = [
        Option(
            unit_id=o.candidate.unit_id,
            call_sign=o.candidate.call_sign,
            unit_type=o.candidate.unit_type,
            eta_minutes=max(1, round(o.candidate.eta_seconds / 60)),
            recommended=o.recommended,
            reasons=[*o.reasons, *o.matched],
        )
        for o in answer.offered
    ]
    notes = [answer.no_candidate.message] if answer.no_candidate else []
    return Advice(options=options, message=" ".join([*notes, *answer.ties]))


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
    from django.db import transaction

    from bluelamp.control import resources, services

    engine = _module("services")
    if engine is not None and actor.has_perm(RECOMMEND):
        return engine.dispatch(
            actor=actor,
            incident=incident,
            unit_id=unit.pk if unit is not None else None,
            reason=override_reason,
            position=position,
        )
    if unit is None:
        raise InvalidInput("Choose a unit to assign: there is no recommendation without the dispatch engine.")
    with transaction.atomic():
        assignment = resources.assign_unit(
            actor=actor, incident=incident, unit=unit, expected_version=expected_version, position=position
        )
        if override_reason:
            services.add_log_entry(
                actor=actor,
                incident=assignment.incident,
                text=f"Recommendation overridden: {unit.call_sign} sent because {override_reason}",
                position=position,
            )
    return assignment
