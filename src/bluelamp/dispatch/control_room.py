"""Dispatch as the control room's dispatch engine (``control.dispatch_link``): unit positions
for the map, the recommendation in the screens' terms, sending units, and the operations
running now. Registered when the dispatch app is ready (``apps.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bluelamp.control.dispatch_link import Advice, Option, Position
from bluelamp.core.access import Actor
from bluelamp.dispatch import recommend, selectors, services


class ControlRoomEngine:
    def positions(self, *, actor: Actor) -> dict[int, Position]:
        return {p.unit_id: Position(p.lat, p.lon, p.at, p.stale) for p in selectors.latest_positions(actor=actor)}

    def advice(self, *, actor: Actor, incident: Any) -> Advice:
        answer = recommend.recommend(actor=actor, incident=incident)
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

    def dispatch(self, *, actor: Actor, incident: Any, unit_id: int | None, reason: str, position: str) -> Any:
        return services.dispatch(actor=actor, incident=incident, unit_id=unit_id, reason=reason, position=position)

    def running_operations(self, *, actor: Actor, at: dt.datetime) -> list[Any]:
        return list(selectors.running_operations(actor=actor, at=at))
