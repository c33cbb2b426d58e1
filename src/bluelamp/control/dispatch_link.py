"""The control-room screens' one door to the dispatch app (AVL positions, recommendations,
pre-planned operations). The screens work without it: no positions (units are listed beside
the map), no recommendation (the dispatcher picks a unit), no operations."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

from bluelamp.core.access import Actor

if TYPE_CHECKING:
    from bluelamp.control.screens import Position


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"bluelamp.dispatch.{name}")
    except ImportError:
        return None


def installed() -> bool:
    return _module("selectors") is not None


def positions(*, actor: Actor) -> dict[int, Position]:
    return {}


def recommendation(*, actor: Actor, incident: Any) -> Any:
    return None


def assign(
    *,
    actor: Actor,
    incident: Any,
    unit: Any,
    override_reason: str = "",
    expected_version: int | None = None,
    position: str = "",
) -> Any:
    """Send ``unit`` to ``incident``. An override reason is written in the incident's log in the
    same transaction as the assignment."""
    from django.db import transaction

    from bluelamp.control import resources, services

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
