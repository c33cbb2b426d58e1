"""Fixtures for dispatch: the London forces and control-room users (from the control tests),
crewed units, an AVL feed client, and a fresh in-memory index for every test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from bluelamp.core.access import ClientActor
from bluelamp.core.models import Force, User
from bluelamp.dispatch import avl, store
from tests.control.conftest import (  # noqa: F401 - fixtures shared with the control tests
    city,
    city_handler,
    dispatcher,
    handler,
    make_unit,
    make_user,
    met,
    officer,
    supervisor,
    unit_reference_data,
)

TRAFALGAR = (51.50800, -0.12810)
LONG_AGO = dt.date(2020, 1, 1)
FAR_AHEAD = dt.date(2035, 1, 1)


@pytest.fixture(autouse=True)
def _fresh_index() -> Iterator[None]:
    store.forget()
    avl.forget_service_areas()
    yield
    store.forget()


def feed(force: Force) -> ClientActor:
    """The force's AVL feed, as its API token would be."""
    return ClientActor(token_id=0, name="AVL feed", force_id=force.pk, permissions=frozenset({avl.SEND_POSITIONS}))


def fix(unit: Any, lat: float, lon: float, *, ago: float = 0.0, **extra: Any) -> dict[str, Any]:
    """One AVL item for ``unit`` (a Resource or a call sign), ``ago`` seconds before now."""
    at = timezone.now() - dt.timedelta(seconds=ago)
    sign = unit if isinstance(unit, str) else unit.call_sign
    return {"unit": sign, "at": at.isoformat(), "lat": lat, "lon": lon, "source": "avl", **extra}


def send(force: Force, items: list[dict[str, Any]], capture: Any) -> avl.Ingested:
    """Ingest a batch and run what happens after commit (moving the index, the signal)."""
    with capture(execute=True):
        return avl.ingest_positions(actor=feed(force), items=items)


def crewed(actor: User, call_sign: str, unit_type: str = "IRV", *, skills: tuple[str, ...] = ("RESPONSE_DRIVER",),
           crew: int = 1, until: dt.date | None = FAR_AHEAD, status: str = "AVL", bcu: str = "CW") -> Any:  # fmt: skip
    """A unit crewed by ``crew`` officers who each hold ``skills`` (valid until ``until``)."""
    force = Force.objects.get(pk=actor.force_id)
    people = [officer(force, f"{call_sign}-{n}", skills=dict.fromkeys(skills, (LONG_AGO, until))) for n in range(crew)]
    return make_unit(actor, call_sign, unit_type, *people, status=status, bcu=bcu)
