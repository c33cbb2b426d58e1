"""Recommendations: capabilities, current authorisations, statuses, operations, the reasons
given when nobody can go, ties, and what happens when the index is behind the database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from bluelamp.control.incidents import grading
from bluelamp.control.models import Incident, Resource, UnitStatus
from bluelamp.control.units import assignments as unit_assignments
from bluelamp.control.units import services as unit_services
from bluelamp.core.models import Force, User
from bluelamp.dispatch import recommend, services
from tests.control.conftest import HIGH_THREAT, make_unit, new_incident, officer
from tests.dispatch.conftest import LONG_AGO, TRAFALGAR, crewed, fix, send

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unit_reference_data")]
NEAR = (51.5090, -0.1281)  # ~100 m from Trafalgar Square
MIDDLE = (51.5150, -0.1281)  # ~800 m
FAR = (51.5300, -0.1281)  # ~2.4 km


def graded(handler: User, grade: str, **fields: Any) -> Incident:
    incident = new_incident(handler, **fields)
    reason = "" if grade == "I" else "test grade"
    grading.assess_incident(actor=handler, incident=incident, levels=HIGH_THREAT, grade=grade, override_reason=reason)
    return Incident.objects.get(pk=incident.pk)


def signs(found: recommend.Recommendation) -> list[str]:
    return [o.candidate.call_sign for o in found.offered]


def test_units_are_ranked_by_eta_with_reasons(
    met: Force, supervisor: User, handler: User, dispatcher: User, django_capture_on_commit_callbacks: Any
) -> None:
    units = [crewed(supervisor, s) for s in ("CW3", "CW1", "CW2")]
    send(met, [fix(units[0], *FAR), fix(units[1], *NEAR), fix(units[2], *MIDDLE)], django_capture_on_commit_callbacks)
    found = recommend.recommend(actor=dispatcher, incident=graded(handler, "S"))
    assert signs(found) == ["CW1", "CW2", "CW3"]
    etas = [o.candidate.eta_seconds for o in found.offered]
    assert etas == sorted(etas)
    first = found.offered[0]
    assert first.recommended
    assert not found.offered[1].recommended
    assert first.reasons[0].startswith("ETA ")
    assert "available" in first.reasons
    assert any("IRV" in m for m in first.matched)
    assert found.requirement.code == "any"


def test_i_grade_is_faster_than_s_grade(
    met: Force, supervisor: User, handler: User, dispatcher: User, django_capture_on_commit_callbacks: Any
) -> None:
    unit = crewed(supervisor, "CW1")
    send(met, [fix(unit, *FAR)], django_capture_on_commit_callbacks)
    immediate = recommend.recommend(actor=dispatcher, incident=graded(handler, "I", category="crime.theft"))
    significant = recommend.recommend(actor=dispatcher, incident=graded(handler, "S", category="crime.theft"))
    assert immediate.offered[0].candidate.eta_seconds < significant.offered[0].candidate.eta_seconds


def test_firearms_needs_an_arv_whose_crew_is_authorised_now(
    met: Force, supervisor: User, handler: User, dispatcher: User, django_capture_on_commit_callbacks: Any
) -> None:
    irv = crewed(supervisor, "CW1")
    good = _make_arv(supervisor, "TR1")
    lapsed = _make_arv(supervisor, "TR2")
    send(met, [fix(irv, *NEAR), fix(lapsed, *NEAR), fix(good, *FAR)], django_capture_on_commit_callbacks)
    # TR2's second AFO's authorisation expires: TR2 can no longer go to a firearms call.
    _expire_afo(lapsed)
    incident = graded(handler, "I", qualifiers=["firearms"])
    found = recommend.recommend(actor=dispatcher, incident=incident)
    assert found.requirement.code == "firearms"
    assert signs(found) == ["TR1"]
    assert found.needed == 2
    assert any("AFO" in m for m in found.offered[0].matched)


def _make_arv(supervisor: User, call_sign: str) -> Resource:
    force = Force.objects.get(pk=supervisor.force_id)
    far_ahead = dt.date(2035, 1, 1)
    driver = officer(
        force, f"{call_sign}-d", skills={"AFO": (LONG_AGO, far_ahead), "ADVANCED_DRIVER": (LONG_AGO, None)}
    )
    second = officer(force, f"{call_sign}-s", skills={"AFO": (LONG_AGO, far_ahead)})
    return make_unit(supervisor, call_sign, "ARV", driver, second)  # type: ignore[no-any-return]


def _expire_afo(unit: Resource) -> None:
    """HR records that the AFO authorisation of the unit's second crew member ended yesterday;
    the capability cache is refreshed by its time-to-live (forced here)."""
    from bluelamp.business.models import Authorisation
    from bluelamp.dispatch import store

    person = unit.crew.filter(until_at__isnull=True).order_by("person__last_name").last().person  # type: ignore[union-attr]
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    Authorisation.objects.filter(person=person, skill__code="AFO").update(valid_until=yesterday)
    index = store.loaded(unit.force_id)
    if index is not None:
        index.capabilities_loaded = -1e18


def test_nobody_authorised_is_a_clear_answer(
    met: Force, supervisor: User, handler: User, dispatcher: User, django_capture_on_commit_callbacks: Any
) -> None:
    lapsed = _make_arv(supervisor, "TR2")
    send(met, [fix(lapsed, *NEAR)], django_capture_on_commit_callbacks)
    _expire_afo(lapsed)
    found = recommend.recommend(actor=dispatcher, incident=graded(handler, "I", qualifiers=["firearms"]))
    assert found.offered == []
    assert found.no_candidate is not None
    assert found.no_candidate.code == "no_authorisation"
    assert "AFO" in found.no_candidate.message


def test_no_unit_of_the_type(met: Force, supervisor: User, handler: User, dispatcher: User) -> None:
    crewed(supervisor, "CW1")
    found = recommend.recommend(actor=dispatcher, incident=graded(handler, "I", qualifiers=["firearms"]))
    assert found.no_candidate is not None
    assert found.no_candidate.code == "no_unit_of_type"
    assert "ARV" in found.no_candidate.message


def test_no_location_is_a_clear_answer(met: Force, supervisor: User, handler: User, dispatcher: User) -> None:
    crewed(supervisor, "CW1")
    found = recommend.recommend(actor=dispatcher, incident=graded(handler, "S"))
    assert found.no_candidate is not None
    assert found.no_candidate.code == "no_location"


def test_committed_and_off_duty_units_are_not_offered_unless_pre_emptible(
    met: Force, supervisor: User, handler: User, dispatcher: User, django_capture_on_commit_callbacks: Any
) -> None:
    busy, off = crewed(supervisor, "CW1"), crewed(supervisor, "CW2", status="OFF")
    send(met, [fix(busy, *NEAR), fix(off, *NEAR)], django_capture_on_commit_callbacks)
    minor = graded(handler, "E", category="crime.theft")
    with django_capture_on_commit_callbacks(execute=True):
        unit_assignments.assign_unit(actor=dispatcher, incident=minor, unit=busy)
    urgent = graded(handler, "I", category="crime.theft")
    found = recommend.recommend(actor=dispatcher, incident=urgent)
    assert found.no_candidate is not None
    assert found.no_candidate.code == "all_committed"
    pre = recommend.recommend(actor=dispatcher, incident=urgent, preemptible=True)
    assert signs(pre) == ["CW1"]
    offered = pre.offered[0]
    assert offered.candidate.preemptible
    assert offered.candidate.committed_incident_id == minor.pk
    assert any("lower-grade" in r for r in offered.reasons)
    # A unit committed to an equal or higher grade is never pre-emptible.
    same = graded(handler, "E", category="crime.theft")
    assert recommend.recommend(actor=dispatcher, incident=same, preemptible=True).offered == []
    # Sending it takes it off the lower-grade incident.
    with django_capture_on_commit_callbacks(execute=True):
        done = services.dispatch(actor=dispatcher, incident=urgent, preemptible=True)
    assert [a.unit_id for a in done.assignments] == [busy.pk]


def test_units_reserved_for_a_running_operation_are_not_offered(
    met: Force, supervisor: User, handler: User, dispatcher: User, django_capture_on_commit_callbacks: Any
) -> None:
    unit = crewed(supervisor, "CW1")
    send(met, [fix(unit, *NEAR)], django_capture_on_commit_callbacks)
    incident = graded(handler, "S")
    assert signs(recommend.recommend(actor=dispatcher, incident=incident)) == ["CW1"]
    now = timezone.now()
    box = {
        "type": "Polygon",
        "coordinates": [[[-0.2, 51.5], [-0.19, 51.5], [-0.19, 51.51], [-0.2, 51.51], [-0.2, 51.5]]],
    }
    with django_capture_on_commit_callbacks(execute=True):
        operation = services.create_operation(
            actor=supervisor, name="Match", commander="Silver", area=box,
            starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=2),
        )  # fmt: skip
        services.reserve_units(actor=supervisor, operation=operation, unit_ids=[unit.pk])
    found = recommend.recommend(actor=dispatcher, incident=incident)
    assert found.no_candidate is not None
    assert found.no_candidate.code == "all_reserved"
    with django_capture_on_commit_callbacks(execute=True):
        services.end_operation(actor=supervisor, operation=operation)
    assert signs(recommend.recommend(actor=dispatcher, incident=incident)) == ["CW1"]


def test_equal_etas_are_listed_in_call_sign_order_and_said_so(
    met: Force, supervisor: User, handler: User, dispatcher: User, django_capture_on_commit_callbacks: Any
) -> None:
    b, a = crewed(supervisor, "CW2"), crewed(supervisor, "CW1")
    send(met, [fix(b, *NEAR), fix(a, *NEAR)], django_capture_on_commit_callbacks)
    found = recommend.recommend(actor=dispatcher, incident=graded(handler, "S"))
    assert signs(found) == ["CW1", "CW2"]
    assert found.ties == [
        f"CW1 and CW2 have the same ETA ({recommend._minutes(found.offered[0].candidate.eta_seconds)}): "
        "listed in call-sign order."
    ]


def test_a_stale_location_is_warned_about(
    met: Force, supervisor: User, handler: User, dispatcher: User, django_capture_on_commit_callbacks: Any
) -> None:
    unit = crewed(supervisor, "CW1")
    send(met, [fix(unit, *NEAR, ago=600)], django_capture_on_commit_callbacks)
    found = recommend.recommend(actor=dispatcher, incident=graded(handler, "S"))
    assert found.offered[0].candidate.stale
    assert any("stale" in r for r in found.offered[0].reasons)


def test_a_change_made_by_another_worker_is_caught_before_offering(
    met: Force, supervisor: User, handler: User, dispatcher: User, django_capture_on_commit_callbacks: Any
) -> None:
    first, second = crewed(supervisor, "CW1"), crewed(supervisor, "CW2")
    send(met, [fix(first, *NEAR), fix(second, *FAR)], django_capture_on_commit_callbacks)
    incident = graded(handler, "S")
    assert signs(recommend.recommend(actor=dispatcher, incident=incident)) == ["CW1", "CW2"]
    # Another worker books CW1 off duty: this process hears no event.
    off = UnitStatus.objects.get(force=met, base_type="off_duty", code="OFF")
    Resource.objects.filter(pk=first.pk).update(status=off)
    assert signs(recommend.recommend(actor=dispatcher, incident=incident)) == ["CW2"]


def test_a_crew_change_is_seen_at_once(
    met: Force, supervisor: User, handler: User, dispatcher: User, django_capture_on_commit_callbacks: Any
) -> None:
    unit = crewed(supervisor, "CW1")
    send(met, [fix(unit, *NEAR)], django_capture_on_commit_callbacks)
    incident = graded(handler, "S")
    assert signs(recommend.recommend(actor=dispatcher, incident=incident)) == ["CW1"]
    untrained = officer(met, "Nodriver")
    with django_capture_on_commit_callbacks(execute=True):
        unit_services.set_crew(actor=supervisor, unit=unit, people=[untrained])
    found = recommend.recommend(actor=dispatcher, incident=incident)
    assert found.no_candidate is not None
    assert found.no_candidate.code == "no_authorisation"


def test_an_incident_without_a_place_cannot_be_recommended_for(met: Force, handler: User, dispatcher: User) -> None:
    from bluelamp.core.errors import InvalidInput

    incident = new_incident(handler, lat=None, lon=None, address="somewhere")
    with pytest.raises(InvalidInput, match="no location"):
        recommend.recommend(actor=dispatcher, incident=incident)


def test_the_two_units_violence_needs_are_sent_in_one_call(
    met: Force, supervisor: User, handler: User, dispatcher: User, django_capture_on_commit_callbacks: Any
) -> None:
    units = [crewed(supervisor, s) for s in ("CW1", "CW2", "CW3")]
    send(met, [fix(units[0], *NEAR), fix(units[1], *MIDDLE), fix(units[2], *FAR)], django_capture_on_commit_callbacks)
    incident = graded(handler, "I")
    found = recommend.recommend(actor=dispatcher, incident=incident)
    assert found.requirement.code == "violence_in_progress"
    assert [o.recommended for o in found.offered] == [True, True, False]
    with django_capture_on_commit_callbacks(execute=True):
        done = services.dispatch(actor=dispatcher, incident=incident)
    assert sorted(a.unit.call_sign for a in done.assignments) == ["CW1", "CW2"]
    assert TRAFALGAR  # the incident is at Trafalgar Square (new_incident's default)


def test_unit_rows_say_which_units_are_committed_or_reserved(
    met: Force, supervisor: User, handler: User, dispatcher: User, django_capture_on_commit_callbacks: Any
) -> None:
    from bluelamp.dispatch import store

    free, busy, held = crewed(supervisor, "CW1"), crewed(supervisor, "CW2"), crewed(supervisor, "CW3")
    minor = graded(handler, "E", category="crime.theft")
    unit_assignments.assign_unit(actor=dispatcher, incident=minor, unit=busy)
    now = timezone.now()
    box = {
        "type": "Polygon",
        "coordinates": [[[-0.2, 51.5], [-0.19, 51.5], [-0.19, 51.51], [-0.2, 51.51], [-0.2, 51.5]]],
    }
    op = services.create_operation(
        actor=supervisor, name="Op", commander="Silver", area=box,
        starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=1),
    )  # fmt: skip
    services.reserve_units(actor=supervisor, operation=op, unit_ids=[held.pk])
    ids = [free.pk, busy.pk, held.pk]

    def key(row: Any) -> tuple[Any, ...]:
        return (row.unit_id, row.call_sign, row.unit_type, row.base_type, row.committed_incident_id,
                row.committed_grade, row.reserved)  # fmt: skip

    full = sorted(map(key, store.unit_rows(met.pk, ids)))
    assert [r[4:] for r in full] == [(None, "", False), (minor.pk, "E", False), (None, "", True)]
