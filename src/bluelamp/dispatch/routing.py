"""Travel time: how long a unit takes to reach a place. The recommender asks a :class:`Router`;
the default is a straight-line model (distance x road factor / speed by unit type and grade,
rules in ``data/travel.json``). A road-network router plugs in behind the same protocol — see
``docs/dispatch.md`` ("Plugging in a road router")."""

from __future__ import annotations

from functools import cache
from typing import Protocol

import numpy as np
from django.utils.module_loading import import_string

from bluelamp.dispatch.rules import TravelRules, travel_rules


class Router(Protocol):
    """Travel from many origins (BNG metres) to one destination.

    ``all_candidates``: True when the router is cheap enough to run on every candidate unit (a
    vectorised formula); False for a road router, which the recommender calls only for a
    shortlist of the nearest units by straight line (``shortlist`` in travel.json)."""

    all_candidates: bool

    def travel(
        self,
        *,
        eastings: np.ndarray,
        northings: np.ndarray,
        destination: tuple[float, float],
        speeds_mps: np.ndarray,
        grade: str,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(distances in metres, travel times in seconds), one per origin."""
        ...


class StraightLineRouter:
    """Straight-line distance x road factor, at the unit type's speed for the grade."""

    all_candidates = True

    def __init__(self, rules: TravelRules | None = None) -> None:
        self.rules = rules or travel_rules()

    def travel(
        self,
        *,
        eastings: np.ndarray,
        northings: np.ndarray,
        destination: tuple[float, float],
        speeds_mps: np.ndarray,
        grade: str,
    ) -> tuple[np.ndarray, np.ndarray]:
        distances = np.hypot(eastings - destination[0], northings - destination[1]) * self.rules.road_factor
        return distances, distances / speeds_mps


@cache
def default_router() -> Router:
    """The router named in travel.json (a dotted path to a class taking no arguments)."""
    router: Router = import_string(travel_rules().router)()
    return router
