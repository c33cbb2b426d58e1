"""The AVL feed, service level: every check rejects only its item, idempotency, sampling,
staleness, restart (the index rebuilt from the database) and the signal for screens."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.utils import timezone

from bluelamp.core import live as core_live
from bluelamp.core.errors import PermissionDenied
from bluelamp.core.geography import to_bng
from bluelamp.core.models import Force, User
from bluelamp.dispatch import avl, selectors, store
from bluelamp.dispatch import live as dispatch_live
from bluelamp.dispatch.models import PositionSample, UnitPosition
from tests.dispatch.conftest import TRAFALGAR, crewed, feed, fix, send

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unit_reference_data")]


def codes(result: avl.Ingested) -> list[tuple[int, str]]:
    return [(r.index, r.code) for r in result.rejected]


def test_each_bad_item_is_rejected_with_its_reason_and_the_good_ones_kept(
    met: Force, city: Force, supervisor: User, make_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    unit = crewed(supervisor, "CW1")
    other = crewed(supervisor, "CW2")
    city_unit = crewed(make_user("sup.city", city, "control_supervisor"), "CITY1", bcu="")
    now = timezone.now()
    items = [
        fix(unit, *TRAFALGAR, ago=40),  # 0 good
        "not an object",  # 1
        fix(city_unit, 51.5138, -0.0984),  # 2 another force's unit: unknown
        fix(other, 51.5, -0.1) | {"at": "2026-11-25T10:00:00"},  # 3 no offset
        fix(other, 95.0, -0.1),  # 4 not a latitude
        fix(other, 52.2053, 0.1218),  # 5 Cambridge: outside the Met
        {"unit": "CW2", "at": (now + dt.timedelta(minutes=10)).isoformat(), "lat": 51.5, "lon": -0.1},  # 6 future
        fix(other, 51.5, -0.1, speed=120.0),  # 7 reported speed absurd
        fix(unit, 51.60, -0.12, ago=35),  # 8 11 km in 5 s after item 0
        fix(other, 51.5, -0.1, ago=3 * 86400),  # 9 too old
        fix(other, 51.5, -0.1, heading=400),  # 10 malformed heading
        {"unit": "CW2", "at": now.isoformat(), "lat": "51.5", "lon": -0.1},  # 11 text, not a number
        fix(other, 51.5010, -0.1000, ago=5, speed=12.0, heading=270),  # 12 good
    ]
    result = send(met, items, django_capture_on_commit_callbacks)
    assert codes(result) == [
        (1, "malformed"),
        (2, "unknown_unit"),
        (3, "malformed"),
        (4, "malformed"),
        (5, "outside_service_area"),
        (6, "from_the_future"),
        (7, "absurd_speed"),
        (8, "implied_speed"),
        (9, "too_old"),
        (10, "malformed"),
        (11, "malformed"),
    ]
    assert result.accepted == 2
    assert all(r.reason for r in result.rejected)
    assert set(UnitPosition.objects.values_list("unit__call_sign", flat=True)) == {"CW1", "CW2"}
    kept = UnitPosition.objects.get(unit=other)
    assert (kept.speed, kept.heading, kept.source) == (12.0, 270.0, "avl")


def test_a_point_just_outside_the_boundary_is_within_the_buffer(
    met: Force, supervisor: User, django_capture_on_commit_callbacks: Any
) -> None:
    unit = crewed(supervisor, "CW1")
    # Epsom, ~2 km outside the Met's boundary (Sutton/Kingston): the buffer (5 km) lets it in.
    result = send(met, [fix(unit, 51.3360, -0.2670)], django_capture_on_commit_callbacks)
    assert result.accepted == 1, result.rejected


def test_bng_positions_are_kept_in_both_systems(
    met: Force, supervisor: User, django_capture_on_commit_callbacks: Any
) -> None:
    unit = crewed(supervisor, "CW1")
    easting, northing = to_bng(*TRAFALGAR)
    item = {"unit": unit.pk, "at": timezone.now().isoformat(), "easting": easting, "northing": northing}
    assert send(met, [item], django_capture_on_commit_callbacks).accepted == 1
    kept = UnitPosition.objects.get(unit=unit)
    assert (kept.lat, kept.lon) == (pytest.approx(TRAFALGAR[0], abs=1e-6), pytest.approx(TRAFALGAR[1], abs=1e-6))


def test_sending_the_same_batch_twice_changes_nothing(
    met: Force, supervisor: User, django_capture_on_commit_callbacks: Any
) -> None:
    unit = crewed(supervisor, "CW1")
    items = [
        fix(unit, 51.5080, -0.1281, ago=90),
        fix(unit, 51.5085, -0.1281, ago=50),
        fix(unit, 51.5090, -0.1281, ago=10),
    ]
    first = send(met, items, django_capture_on_commit_callbacks)
    latest = UnitPosition.objects.get(unit=unit)
    samples = list(PositionSample.objects.values_list("at", flat=True))
    again = send(met, items, django_capture_on_commit_callbacks)
    assert (first.accepted, first.duplicates) == (3, 0)
    assert again.accepted == 3
    assert again.duplicates + again.late == 3  # the newest is a duplicate, the others older than it
    assert UnitPosition.objects.get(unit=unit).at == latest.at
    assert list(PositionSample.objects.values_list("at", flat=True)) == samples


def test_history_keeps_one_point_per_interval(
    met: Force, supervisor: User, django_capture_on_commit_callbacks: Any
) -> None:
    unit = crewed(supervisor, "CW1")
    items = [fix(unit, 51.5080 + i * 0.0001, -0.1281, ago=120 - 5 * i) for i in range(20)]  # every 5 s
    result = send(met, items, django_capture_on_commit_callbacks)
    assert result.accepted == 20
    times = list(PositionSample.objects.filter(unit=unit).values_list("at", flat=True))
    assert len(times) == 4  # 0, 30, 60, 90 s into the 95 s: one per 30 s
    assert all((b - a).total_seconds() >= 30 for a, b in itertools.pairwise(times))
    # The next batch carries on from the last sample, not from scratch.
    send(met, [fix(unit, 51.5101, -0.1281, ago=0)], django_capture_on_commit_callbacks)
    assert PositionSample.objects.filter(unit=unit).count() == 4 + 1


def test_a_late_fix_fills_history_but_does_not_move_the_unit(
    met: Force, supervisor: User, django_capture_on_commit_callbacks: Any
) -> None:
    unit = crewed(supervisor, "CW1")
    send(met, [fix(unit, 51.5090, -0.1281, ago=10)], django_capture_on_commit_callbacks)
    result = send(met, [fix(unit, 51.5080, -0.1281, ago=600)], django_capture_on_commit_callbacks)
    assert (result.accepted, result.late) == (1, 1)
    assert UnitPosition.objects.get(unit=unit).lat == pytest.approx(51.5090)
    assert PositionSample.objects.filter(unit=unit).count() == 2


def test_stale_units_are_flagged(
    met: Force, supervisor: User, dispatcher: User, django_capture_on_commit_callbacks: Any
) -> None:
    fresh, old = crewed(supervisor, "CW1"), crewed(supervisor, "CW2")
    send(met, [fix(fresh, *TRAFALGAR, ago=30), fix(old, 51.51, -0.12, ago=121)], django_capture_on_commit_callbacks)
    flags = {p.call_sign: p.stale for p in selectors.latest_positions(actor=dispatcher)}
    assert flags == {"CW1": False, "CW2": True}


def test_after_a_restart_the_index_is_rebuilt_from_the_database(
    met: Force, supervisor: User, dispatcher: User, django_capture_on_commit_callbacks: Any
) -> None:
    unit = crewed(supervisor, "CW1")
    send(met, [fix(unit, 51.5080, -0.1281, ago=20)], django_capture_on_commit_callbacks)
    store.forget()  # as if the worker restarted
    positions = selectors.latest_positions(actor=dispatcher)
    assert [(p.call_sign, round(p.lat, 4)) for p in positions] == [("CW1", 51.5080)]
    # The rebuilt index still knows the previous fix: an impossible jump is refused.
    result = send(met, [fix(unit, 51.70, -0.1281, ago=10)], django_capture_on_commit_callbacks)
    assert codes(result) == [(0, "implied_speed")]


def test_screens_are_told_after_commit(met: Force, supervisor: User, django_capture_on_commit_callbacks: Any) -> None:
    unit = crewed(supervisor, "CW1")
    screen = core_live.broadcaster.subscribe(met.pk, permissions={"dispatch.view_unitposition"})
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            avl.ingest_positions(actor=feed(met), items=[fix(unit, *TRAFALGAR, ago=5)])
        assert screen.pending() == 0  # nothing before the commit
        for callback in callbacks:
            callback()
        heard = [screen.get(timeout=0) for _ in range(screen.pending())]
    finally:
        core_live.broadcaster.unsubscribe(screen)
    moved = [n for n in heard if n is not None and n.topic == dispatch_live.POSITIONS]
    assert len(moved) == 1
    assert moved[0].force_id == met.pk
    ((unit_id, lat, lon, at, stale),) = dispatch_live.positions_in(moved[0])
    assert (unit_id, round(lat, 4), round(lon, 4), stale) == (unit.pk, TRAFALGAR[0], TRAFALGAR[1], False)
    assert dt.datetime.fromisoformat(at).tzinfo is not None


def test_only_the_feed_may_send(met: Force, dispatcher: User) -> None:
    with pytest.raises(PermissionDenied):
        avl.ingest_positions(actor=dispatcher, items=[])


def test_positions_from_another_worker_move_this_index(
    met: Force, supervisor: User, dispatcher: User, django_capture_on_commit_callbacks: Any
) -> None:
    unit = crewed(supervisor, "CW1")
    send(met, [fix(unit, 51.5080, -0.1281, ago=60)], django_capture_on_commit_callbacks)
    at = timezone.now().isoformat()
    avl.apply_remote_positions(met.pk, [(unit.pk, 51.5100, -0.1281, at, False)])
    assert [round(p.lat, 4) for p in selectors.latest_positions(actor=dispatcher)] == [51.5100]


def test_demo_units_are_placed_in_their_bcu(
    met: Force, supervisor: User, django_capture_on_commit_callbacks: Any
) -> None:
    from bluelamp.core.selectors import locate
    from bluelamp.dispatch.demo import place_demo_units

    crewed(supervisor, "CW1")
    crewed(supervisor, "CN1", bcu="CN")
    with django_capture_on_commit_callbacks(execute=True):
        assert place_demo_units(force=met) == 2
    where = {
        p.unit.call_sign: locate(lat=p.lat, lon=p.lon).bcu_code for p in UnitPosition.objects.select_related("unit")
    }
    assert where == {"CW1": "CW", "CN1": "CN"}
