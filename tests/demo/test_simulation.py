"""The demo's London: the same seed gives the same scenario, and a simulated hour of the Met at
high speed leaves the platform consistent."""

from __future__ import annotations

import copy
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db.models import Count

from bluelamp.control import integrity
from bluelamp.control.incidents import selectors as incident_selectors
from bluelamp.control.models import Assignment, Contact, Incident, Resource
from bluelamp.core.models import User
from bluelamp.demo import history, scenario
from bluelamp.demo import setup as demo_setup
from bluelamp.demo.simulator import Settings, Simulator
from bluelamp.dispatch.models import UnitPosition
from bluelamp.pole import selectors as pole_selectors
from bluelamp.pole.models import Event, Location, WarningMarker

BCUS = ["CE", "CN", "CS", "CW"]
TODAY = dt.date(2026, 11, 22)


def test_the_same_seed_plans_the_same_scenario_and_another_seed_another() -> None:
    first = scenario.plan(seed=7, units=120, bcu_codes=BCUS, today=TODAY)
    again = scenario.plan(seed=7, units=120, bcu_codes=BCUS, today=TODAY)
    other = scenario.plan(seed=8, units=120, bcu_codes=BCUS, today=TODAY)
    assert first == again
    assert first.workforce_rows != other.workforce_rows
    assert len(first.units) == 120
    assert len({unit.call_sign for unit in first.units}) == 120


def test_units_come_in_realistic_proportions_with_the_crews_their_type_needs() -> None:
    planned = scenario.plan(seed=7, units=1000, bcu_codes=BCUS, today=TODAY)
    kinds = {kind: sum(unit.unit_type == kind for unit in planned.units) for kind in scenario.spec()["units"]["mix"]}
    assert kinds["IRV"] == 500
    assert kinds["ARV"] == 30
    assert sum(kinds.values()) == 1000
    by_staff = {row["staff_number"]: row for row in planned.workforce_rows}
    arv = next(unit for unit in planned.units if unit.unit_type == "ARV")
    assert len(arv.crew) == 2
    assert all("AFO:" in by_staff[number]["skills"] for number in arv.crew)
    expiring = [
        row
        for row in planned.workforce_rows
        if any(TODAY.isoformat() < part.rsplit(":", 1)[-1] < "2026-12-21" for part in row["skills"].split(";") if part)
    ]
    assert expiring, "some authorisations are about to expire, so the HR screens have something to show"


@pytest.mark.django_db
def test_every_demo_sign_in_takes_the_printed_password_and_a_second_run_restores_a_changed_one() -> None:
    demo_setup.load_reference_data()
    sign_ins = demo_setup.create_sign_ins()
    users = {user.username: user for user in User.objects.filter(username__in=[name for name, _ in sign_ins])}
    assert len(users) == len(sign_ins) > 10
    assert all(user.check_password(demo_setup.DEMO_PASSWORD) for user in users.values())
    dispatcher = users["met-dispatcher"]
    dispatcher.set_password("changed in the demo")
    dispatcher.save()
    demo_setup.create_sign_ins()
    dispatcher.refresh_from_db()
    assert dispatcher.check_password(demo_setup.DEMO_PASSWORD)
    assert not dispatcher.check_password("changed in the demo")


@pytest.mark.django_db(transaction=True)
def test_a_simulated_hour_leaves_every_record_consistent() -> None:
    demo_setup.load_reference_data()  # with the Met's and City's report destinations
    demo_setup.create_sign_ins()
    built = scenario.build(seed=11, units=60)
    assert Resource.objects.filter(force__code="met").count() == 60 == built.units
    hour = dt.timedelta(hours=1)  # run fast, the clock starts an hour ago: no position from the future
    simulator = Simulator(Settings(seed=11, speed=3600, duration=hour, human_share=0.0, load_factor=0.5, strict=True))
    simulator.advance_to(simulator.started + hour)
    # No unit is in two places: a unit at a scene is there, not driving anywhere else.
    at_scene = Assignment.objects.filter(state="at_scene").select_related("incident")
    assert at_scene.exists()
    for assignment in at_scene:
        assert assignment.unit_id not in simulator.trips
        where = simulator.positions[assignment.unit_id]
        assert incident_selectors.haversine_metres(*where, assignment.incident.lat, assignment.incident.lon) < 1
    simulator.stop_arrivals()
    simulator.advance_to(simulator.started + dt.timedelta(days=2))  # everything under way ends

    stats = simulator.stats
    assert sum(stats.contacts.values()) > 100
    assert stats.contacts["online"] > 0
    assert stats.contacts["anpr"] > 0
    assert stats.dispatched > 0
    assert stats.arrivals > 0
    assert stats.avl_sent > 0
    # Every contact was resolved, linked, or made into an incident.
    assert not Contact.objects.filter(outcome=Contact.Outcome.OPEN).exists()
    # Every unit went back to work: nothing is left assigned, and every unit's latest position is known.
    assert not Assignment.objects.exclude(state="cleared").exists()
    assert UnitPosition.objects.filter(unit__force__code="met").count() == 60
    # Every incident's log chain verifies.
    report = integrity.verify_logs()
    assert report.first_broken is None
    assert report.reason == ""
    assert report.incidents >= sum(stats.incidents.values())
    # Response times are computed for every incident a unit reached.
    attended = Incident.objects.filter(first_arrived_at__isnull=False)
    assert attended.count() == len({a.incident_id for a in Assignment.objects.exclude(at_scene_at=None)})
    assert all(incident_selectors.response_time(incident).attended_after is not None for incident in attended)


@pytest.mark.usefixtures("london")
def test_past_incidents_give_the_history_panels_something_to_show() -> None:
    demo_setup.load_reference_data()
    assert history.seed_history(seed=3, events=80) == 80
    assert history.seed_history(seed=3, events=80) == 0  # once only
    past = Event.objects.filter(source_system=history.SOURCE_SYSTEM)
    assert past.count() == 80
    assert not past.filter(open=True).exists()
    busiest = past.values("location").annotate(n=Count("id")).order_by("-n").first()
    location = Location.objects.get(pk=busiest["location"])
    supervisor = scenario.bot("sim-supervisor")
    shown = pole_selectors.history_at_point(actor=supervisor, lat=location.lat, lon=location.lon)
    assert len(shown.previous) >= busiest["n"]
    assert WarningMarker.objects.exists()  # on places, people or vehicles


@pytest.mark.usefixtures("london")
def test_the_scenario_builds_on_its_own_as_bluelamp_simulate_does() -> None:
    demo_setup.load_reference_data()  # no demo sign-ins, no example workforce loaded first
    built = scenario.build(seed=5, units=12)
    assert built.units == 12
    assert Resource.objects.filter(force__code="met").count() == 12
    assert scenario.build(seed=5, units=12).units == 12  # again: nothing added twice
    assert Resource.objects.filter(force__code="met").count() == 12


@pytest.mark.django_db(transaction=True)  # the command closes its connections when it stops, as a process does
@pytest.mark.usefixtures("london")
def test_bluelamp_simulate_on_an_empty_platform_makes_the_scenarios_units_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    small = copy.deepcopy(scenario.spec())
    small["units"]["default_count"] = 8  # the real default is a thousand: too slow for a test
    monkeypatch.setattr(scenario, "spec", lambda: small)
    call_command("simulate", "--speed", "3600", "--duration", "2m", stdout=io.StringIO())
    assert Resource.objects.filter(force__code="met").count() == 8
