"""Response times: creation to first arrival against the grade's target in force when the
incident was created (targets are data with effective dates), time left, and today's summary."""

from __future__ import annotations

import datetime as dt

import pytest

from bluelamp.control.incidents import grading
from bluelamp.control.incidents import selectors as incident_selectors
from bluelamp.control.incidents import services as incident_services
from bluelamp.control.models import GradeTarget, Incident
from bluelamp.core.models import User
from tests.control.conftest import ALL_LOW, HIGH_THREAT, ST_PAULS, clock, london_time, new_incident

pytestmark = pytest.mark.django_db


def _graded(handler: User, levels: dict[str, str], at: dt.datetime) -> Incident:
    with clock(at):
        incident = new_incident(handler)
        return grading.assess_incident(actor=handler, incident=incident, levels=levels).incident


def _arrives(dispatcher: User, incident: Incident, at: dt.datetime) -> Incident:
    with clock(at):
        return incident_services.transition_incident(actor=dispatcher, incident=incident, to="at_scene")


def test_the_met_targets_are_loaded_as_data() -> None:
    targets = {t.grade: (t.attend_within_minutes, t.aim_percent) for t in GradeTarget.objects.all()}
    assert targets == {"I": (15, 90), "S": (60, None), "E": (None, None), "R": (None, None)}


def test_attendance_is_measured_against_the_target_in_force_at_creation(handler: User, dispatcher: User) -> None:
    GradeTarget.objects.create(grade="I", attend_within_minutes=10, aim_percent=90, effective_from=dt.date(2026, 12, 1))
    before = _graded(handler, HIGH_THREAT, london_time(2026, 11, 30, 23, 50))
    after = _graded(handler, HIGH_THREAT, london_time(2026, 12, 1, 9, 0))
    before = _arrives(dispatcher, before, london_time(2026, 12, 1, 0, 2))  # 12 minutes: within 15
    after = _arrives(dispatcher, after, london_time(2026, 12, 1, 9, 12))  # 12 minutes: not within 10
    measured_before, measured_after = incident_selectors.response_time(before), incident_selectors.response_time(after)
    assert (measured_before.target_minutes, measured_before.met) == (15, True)
    assert (measured_after.target_minutes, measured_after.met) == (10, False)
    assert measured_after.attended_after == dt.timedelta(minutes=12)


def test_time_left_counts_down_and_goes_negative_when_overdue(handler: User) -> None:
    incident = _graded(handler, HIGH_THREAT, london_time(2026, 11, 22, 10, 0))
    soon = incident_selectors.response_time(incident, now=london_time(2026, 11, 22, 10, 5))
    late = incident_selectors.response_time(incident, now=london_time(2026, 11, 22, 10, 20))
    assert (soon.time_left, soon.met) == (dt.timedelta(minutes=10), None)
    assert (late.time_left, late.met) == (dt.timedelta(minutes=-5), False)


def test_an_extended_grade_has_no_attendance_target(handler: User) -> None:
    incident = _graded(handler, ALL_LOW, london_time(2026, 11, 22, 10, 0))
    measured = incident_selectors.response_time(incident, now=london_time(2026, 11, 23, 10, 0))
    assert (measured.grade, measured.target_minutes, measured.time_left, measured.met) == ("E", None, None, None)


def test_only_the_first_arrival_counts(handler: User, dispatcher: User) -> None:
    incident = _graded(handler, HIGH_THREAT, london_time(2026, 11, 22, 10, 0))
    incident = _arrives(dispatcher, incident, london_time(2026, 11, 22, 10, 9))
    with clock(london_time(2026, 11, 22, 11, 0)):
        incident = incident_services.transition_incident(
            actor=dispatcher, incident=incident, to="closed", closing_category="crime.violence", closing_result="x"
        )
        incident = incident_services.transition_incident(actor=dispatcher, incident=incident, to="open")
    incident = _arrives(dispatcher, incident, london_time(2026, 11, 22, 12, 0))
    assert incident_selectors.response_time(incident).attended_after == dt.timedelta(minutes=9)


def test_todays_summary_per_bcu(handler: User, dispatcher: User, city_handler: User) -> None:
    met_ok = _graded(handler, HIGH_THREAT, london_time(2026, 11, 22, 8, 0))
    _arrives(dispatcher, met_ok, london_time(2026, 11, 22, 8, 10))
    met_late = _graded(handler, HIGH_THREAT, london_time(2026, 11, 22, 9, 0))
    _arrives(dispatcher, met_late, london_time(2026, 11, 22, 9, 30))
    _graded(handler, HIGH_THREAT, london_time(2026, 11, 22, 11, 55))  # still in time at noon
    _graded(handler, ALL_LOW, london_time(2026, 11, 22, 10, 0))
    _graded(handler, HIGH_THREAT, london_time(2026, 11, 21, 10, 0))  # yesterday
    with clock(london_time(2026, 11, 22, 8, 0)):
        new_incident(city_handler, where=ST_PAULS)  # another force
    rows = incident_selectors.response_summary(actor=handler, now=london_time(2026, 11, 22, 12, 0))
    assert [(r.bcu_code, r.by_grade, r.met, r.missed, r.pending, r.percent_within_target) for r in rows] == [
        ("CW", {"I": 3, "E": 1}, 1, 1, 1, 50.0)
    ]
