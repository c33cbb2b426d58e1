"""Resources: units with crews from the workforce record, statuses as data mapped to base types,
assignment with clear refusals, the assignment lifecycle, status history, timers and urgent
assistance."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction

from bluelamp.control import rules
from bluelamp.control.incidents import services as incident_services
from bluelamp.control.models import (
    Assignment,
    BaseType,
    CrewMember,
    Incident,
    IncidentLogEntry,
    Resource,
    UnitStatus,
    UnitStatusChange,
    UrgentAssistance,
)
from bluelamp.control.units import assignments as unit_assignments
from bluelamp.control.units import selectors as unit_selectors
from bluelamp.control.units import services as unit_services
from bluelamp.control.units import urgent as urgent_services
from bluelamp.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bluelamp.core.models import Force, OutboxEvent, User
from tests.control.conftest import ST_PAULS, MakeUser, clock, london_time, make_unit, new_incident, officer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("unit_reference_data")]

LONG_AGO = dt.date(2020, 1, 1)
NOV_22 = london_time(2026, 11, 22, 9, 0)


def _driver(force: Force, name: str = "Smith") -> object:
    return officer(force, name, skills={"RESPONSE_DRIVER": (LONG_AGO, None)})


def _snapshot(unit: Resource, incident: Incident) -> tuple[object, ...]:
    unit.refresh_from_db()
    incident.refresh_from_db()
    return (
        unit.status_id,
        unit.version,
        incident.status,
        incident.version,
        incident.log.count(),
        Assignment.objects.count(),
        UnitStatusChange.objects.count(),
    )


# Statuses as data -------------------------------------------------------------------------


def test_statuses_are_seeded_once_and_forces_may_add_their_own(met: Force) -> None:
    made = unit_services.seed_unit_statuses(force=met)
    assert [s.code for s in made][:4] == ["AVL", "ASG", "ENR", "ASC"]
    assert set(UnitStatus.objects.filter(force=met).values_list("base_type", flat=True)) == set(BaseType.values)
    UnitStatus.objects.create(force=met, code="CRT", label="At court", base_type=BaseType.UNAVAILABLE, position=5)
    assert unit_services.seed_unit_statuses(force=met) == []  # idempotent; the force's own status stays
    assert UnitStatus.objects.filter(force=met, code="CRT").exists()


def test_a_forces_first_unit_seeds_its_statuses_and_later_units_leave_them_as_the_force_set_them(
    supervisor: User, met: Force
) -> None:
    unit_services.create_unit(actor=supervisor, call_sign="MD1", unit_type="IRV")
    assert UnitStatus.objects.filter(force=met).count() == len(rules.unit_status_specs())
    UnitStatus.objects.filter(force=met, code="CUS").delete()  # the force does not use "in custody"
    unit_services.create_unit(actor=supervisor, call_sign="MD2", unit_type="IRV")
    assert not UnitStatus.objects.filter(force=met, code="CUS").exists()


def test_a_new_unit_is_off_duty_with_its_history_started(supervisor: User) -> None:
    unit = unit_services.create_unit(actor=supervisor, call_sign=" md21 ", unit_type="ARV", equipment=["taser", " "])
    assert (unit.call_sign, unit.status.code, unit.status.base_type, unit.equipment) == (
        "MD21",
        "OFF",
        "off_duty",
        ["taser"],
    )
    assert unit.status_changes.count() == 1
    with pytest.raises(Conflict, match="already has a unit MD21"):
        unit_services.create_unit(actor=supervisor, call_sign="MD21", unit_type="IRV")
    with pytest.raises(InvalidInput, match="not a unit type"):
        unit_services.create_unit(actor=supervisor, call_sign="MD22", unit_type="SPACESHIP")


def test_only_a_supervisor_creates_units(dispatcher: User) -> None:
    with pytest.raises(PermissionDenied):
        unit_services.create_unit(actor=dispatcher, call_sign="MD21", unit_type="IRV")


def test_a_person_is_on_one_unit_at_a_time(supervisor: User, met: Force) -> None:
    smith = _driver(met)
    first = make_unit(supervisor, "CW11", "IRV", smith)
    second = make_unit(supervisor, "CW12", "IRV", smith)  # Smith moves over
    assert list(CrewMember.objects.filter(until_at__isnull=True).values_list("unit_id", flat=True)) == [second.pk]
    assert CrewMember.objects.get(unit=first).until_at is not None
    unit_services.set_crew(actor=supervisor, unit=second, people=[])
    assert not CrewMember.objects.filter(until_at__isnull=True).exists()


def test_another_forces_officer_cannot_crew_a_unit(supervisor: User, city: Force) -> None:
    unit = make_unit(supervisor, "CW11", "IRV")
    with pytest.raises(NotFound):
        unit_services.set_crew(actor=supervisor, unit=unit, people=[_driver(city)])


# Assignment: refusals ---------------------------------------------------------------------


def test_an_off_duty_unit_is_refused_and_nothing_changes(
    supervisor: User, dispatcher: User, handler: User, met: Force
) -> None:
    unit = make_unit(supervisor, "CW11", "IRV", _driver(met), status="OFF")
    incident = new_incident(handler)
    before = _snapshot(unit, incident)
    with pytest.raises(Conflict, match=r"Unit CW11 cannot go: it is off duty \(OFF Off duty\)"):
        unit_assignments.assign_unit(actor=dispatcher, incident=incident, unit=unit)
    assert _snapshot(unit, incident) == before


def test_an_unavailable_unit_is_refused(supervisor: User, dispatcher: User, handler: User, met: Force) -> None:
    unit = make_unit(supervisor, "CW11", "IRV", _driver(met), status="REF")
    with pytest.raises(Conflict, match=r"it is unavailable \(REF Refreshment break\)"):
        unit_assignments.assign_unit(actor=dispatcher, incident=new_incident(handler), unit=unit)


def test_an_arv_whose_officer_lost_the_afo_authorisation_is_refused_naming_them(
    supervisor: User, dispatcher: User, handler: User, met: Force
) -> None:
    jones = officer(met, "Jones", skills={"AFO": (LONG_AGO, None), "ADVANCED_DRIVER": (LONG_AGO, None)})
    smith = officer(met, "Smith", skills={"AFO": (LONG_AGO, dt.date(2026, 11, 3))})
    with clock(NOV_22):
        unit = make_unit(supervisor, "MD21", "ARV", jones, smith)
        incident = new_incident(handler)
        before = _snapshot(unit, incident)
        with pytest.raises(Conflict) as refused:
            unit_assignments.assign_unit(actor=dispatcher, incident=incident, unit=unit)
    assert refused.value.message == (
        "Unit MD21 cannot go: its ARV crew needs a current Authorised firearms officer (AFO) authorisation; "
        "PC Smith's expired on 3 Nov 2026."
    )
    assert _snapshot(unit, incident) == before


def test_the_authorisation_is_judged_on_the_day_of_the_assignment(
    supervisor: User, dispatcher: User, handler: User, met: Force
) -> None:
    jones = officer(met, "Jones", skills={"AFO": (LONG_AGO, None), "ADVANCED_DRIVER": (LONG_AGO, None)})
    smith = officer(met, "Smith", skills={"AFO": (LONG_AGO, dt.date(2026, 11, 3))})
    with clock(london_time(2026, 11, 3, 23, 0)):  # the last day it is valid
        unit = make_unit(supervisor, "MD21", "ARV", jones, smith)
        assignment = unit_assignments.assign_unit(actor=dispatcher, incident=new_incident(handler), unit=unit)
    assert assignment.state == "assigned"


def test_a_crew_without_a_driver_and_too_small_is_refused(
    supervisor: User, dispatcher: User, handler: User, met: Force
) -> None:
    walker = officer(met, "Walker", skills={"AFO": (LONG_AGO, None), "RESPONSE_DRIVER": (LONG_AGO, None)})
    unit = make_unit(supervisor, "MD22", "ARV", walker)
    with pytest.raises(Conflict) as refused:
        unit_assignments.assign_unit(actor=dispatcher, incident=new_incident(handler), unit=unit)
    assert "an Armed response vehicle needs a crew of at least 2; it has 1" in refused.value.message
    assert "no one in its crew holds a current Advanced driver authorisation" in refused.value.message


def test_another_forces_unit_is_not_found(supervisor: User, dispatcher: User, city_handler: User, met: Force) -> None:
    unit = make_unit(supervisor, "CW11", "IRV", _driver(met))
    city_incident = new_incident(city_handler, where=ST_PAULS)
    with pytest.raises(NotFound):
        unit_assignments.assign_unit(actor=city_handler, incident=city_incident, unit=unit)
    with pytest.raises(NotFound):
        unit_assignments.assign_unit(actor=dispatcher, incident=city_incident, unit=unit)
    assert not Assignment.objects.exists()


def test_a_committed_unit_conflicts_unless_reassigned(
    supervisor: User, dispatcher: User, handler: User, met: Force
) -> None:
    unit = make_unit(supervisor, "CW11", "IRV", _driver(met))
    first, second = new_incident(handler), new_incident(handler)
    unit_assignments.assign_unit(actor=dispatcher, incident=first, unit=unit)
    with pytest.raises(Conflict, match=f"committed to {first.reference}: choose to reassign"):
        unit_assignments.assign_unit(actor=dispatcher, incident=second, unit=unit)
    with pytest.raises(Conflict, match="already assigned"):
        unit_assignments.assign_unit(actor=dispatcher, incident=first, unit=unit)
    moved = unit_assignments.assign_unit(actor=dispatcher, incident=second, unit=unit, reassign=True)
    assert moved.incident_id == second.pk
    assert list(Assignment.objects.order_by("pk").values_list("state", flat=True)) == ["cleared", "assigned"]
    assert first.log.filter(kind="updated", text="Unit CW11 cleared (reassigned)").exists()


def test_a_dispatcher_permission_is_needed(supervisor: User, handler: User, met: Force) -> None:
    unit = make_unit(supervisor, "CW11", "IRV", _driver(met))
    with pytest.raises(PermissionDenied):
        unit_assignments.assign_unit(actor=handler, incident=new_incident(handler), unit=unit)


# Assignment: the happy path ---------------------------------------------------------------


def test_assigned_en_route_at_scene_cleared(supervisor: User, dispatcher: User, handler: User, met: Force) -> None:
    unit = make_unit(supervisor, "CW11", "IRV", _driver(met))
    with clock(london_time(2026, 11, 22, 9, 0)):
        incident = new_incident(handler)
    with clock(london_time(2026, 11, 22, 9, 2)):
        assignment = unit_assignments.assign_unit(
            actor=dispatcher, incident=incident, unit=unit, position="CW dispatch 3"
        )
    incident.refresh_from_db()
    unit.refresh_from_db()
    assert (incident.status, unit.status.code) == ("resourced", "ASG")
    with clock(london_time(2026, 11, 22, 9, 3)):
        unit_assignments.advance_assignment(actor=dispatcher, assignment=assignment, to_state="en_route")
    with clock(london_time(2026, 11, 22, 9, 11)):
        unit_assignments.advance_assignment(actor=dispatcher, assignment=assignment, to_state="at_scene")
    incident.refresh_from_db()
    assert incident.status == "at_scene"
    assert incident.first_arrived_at == london_time(2026, 11, 22, 9, 11)  # the response time: 11 minutes
    with pytest.raises(Conflict, match=r"at scene at .*: it cannot become en route"):
        unit_assignments.advance_assignment(actor=dispatcher, assignment=assignment, to_state="en_route")
    with clock(london_time(2026, 11, 22, 10, 0)):
        cleared = unit_assignments.advance_assignment(actor=dispatcher, assignment=assignment, to_state="cleared")
    assert (cleared.en_route_at, cleared.at_scene_at, cleared.cleared_at) == (
        london_time(2026, 11, 22, 9, 3),
        london_time(2026, 11, 22, 9, 11),
        london_time(2026, 11, 22, 10, 0),
    )
    unit.refresh_from_db()
    assert unit.status.base_type == "available"
    kinds = list(IncidentLogEntry.objects.filter(incident=incident).values_list("kind", "text"))
    assert ("assigned", "Unit CW11 (IRV) assigned; crew PC Smith") in kinds
    assert ("assigned", "Open → Resourced") in kinds
    assert ("updated", "Unit CW11 en route") in kinds
    assert ("arrived", "Unit CW11 at scene") in kinds
    assert ("arrived", "Resourced → At scene") in kinds
    assert ("updated", "Unit CW11 cleared") in kinds
    history = list(unit.status_changes.order_by("pk").values_list("to_status__code", flat=True))
    assert history == ["OFF", "AVL", "ASG", "ENR", "ASC", "AVL"]
    assert UnitStatusChange.objects.filter(unit=unit, incident=incident).count() == 4
    topics = set(OutboxEvent.objects.values_list("topic", flat=True))
    assert {"control.unit.assigned", "control.assignment.advanced", "control.unit.status_changed"} <= topics


def test_several_units_on_one_incident(supervisor: User, dispatcher: User, handler: User, met: Force) -> None:
    first = make_unit(supervisor, "CW11", "IRV", _driver(met, "Smith"))
    second = make_unit(supervisor, "CW12", "IRV", _driver(met, "Jones"))
    incident = new_incident(handler)
    a = unit_assignments.assign_unit(actor=dispatcher, incident=incident, unit=first)
    b = unit_assignments.assign_unit(actor=dispatcher, incident=incident, unit=second)
    unit_assignments.advance_assignment(actor=dispatcher, assignment=a, to_state="at_scene")
    arrived = Incident.objects.get(pk=incident.pk).first_arrived_at
    unit_assignments.advance_assignment(actor=dispatcher, assignment=b, to_state="at_scene")  # the second arrival
    incident.refresh_from_db()
    assert (incident.status, incident.first_arrived_at) == ("at_scene", arrived)
    assert [x.unit.call_sign for x in unit_selectors.assignments(incident.pk)] == ["CW11", "CW12"]


def test_a_closed_incident_takes_no_units(supervisor: User, dispatcher: User, handler: User, met: Force) -> None:

    unit = make_unit(supervisor, "CW11", "IRV", _driver(met))
    incident = new_incident(handler)
    incident_services.transition_incident(
        actor=dispatcher, incident=incident, to="closed", closing_category="crime.violence", closing_result="Advice"
    )
    with pytest.raises(Conflict, match="is closed"):
        unit_assignments.assign_unit(actor=dispatcher, incident=incident, unit=unit)


# Status --------------------------------------------------------------------------------


def test_status_changes_are_kept_and_versions_checked(supervisor: User, dispatcher: User, met: Force) -> None:
    unit = make_unit(supervisor, "CW11", "IRV", _driver(met))
    version = Resource.objects.get(pk=unit.pk).version
    unit_services.set_unit_status(actor=dispatcher, unit=unit, status_code="ref", expected_version=version)
    with pytest.raises(Conflict, match="Someone else changed unit CW11"):
        unit_services.set_unit_status(actor=dispatcher, unit=unit, status_code="AVL", expected_version=version)
    with pytest.raises(InvalidInput, match="not one of your force's unit statuses"):
        unit_services.set_unit_status(actor=dispatcher, unit=unit, status_code="NAP")
    assert list(unit.status_changes.order_by("pk").values_list("to_status__code", flat=True)) == ["OFF", "AVL", "REF"]
    with pytest.raises(ValueError, match="append-only"):
        unit.status_changes.first().delete()  # type: ignore[union-attr]


def test_an_officer_sets_the_status_of_their_own_unit_only(supervisor: User, met: Force, make_user: MakeUser) -> None:
    pc = make_user("pc.met", met, "response_officer")
    mine = make_unit(
        supervisor, "CW11", "IRV", officer(met, "Smith", user=pc, skills={"RESPONSE_DRIVER": (LONG_AGO, None)})
    )
    other = make_unit(supervisor, "CW12", "IRV", _driver(met, "Jones"))
    unit_services.set_unit_status(actor=pc, unit=mine, status_code="REF")
    with pytest.raises(PermissionDenied, match="not on unit CW12's crew"):
        unit_services.set_unit_status(actor=pc, unit=other, status_code="REF")


# Timers -----------------------------------------------------------------------------------


def test_timers_fall_due_with_the_most_serious_prompt(
    supervisor: User, dispatcher: User, handler: User, met: Force
) -> None:
    unit = make_unit(supervisor, "CW11", "IRV", _driver(met))
    with clock(london_time(2026, 11, 22, 9, 0)):
        assignment = unit_assignments.assign_unit(actor=dispatcher, incident=new_incident(handler), unit=unit)
        unit_assignments.advance_assignment(actor=dispatcher, assignment=assignment, to_state="at_scene")
    assert unit_selectors.due_timers(actor=dispatcher, now=london_time(2026, 11, 22, 9, 44)) == []
    due = unit_selectors.due_timers(actor=dispatcher, now=london_time(2026, 11, 22, 9, 45))
    assert [d.prompt for d in due] == ["CW11 at scene 45 min — check on welfare"]
    due = unit_selectors.due_timers(actor=dispatcher, now=london_time(2026, 11, 22, 11, 30))
    assert [d.timer.minutes for d in due] == [120]
    assert unit_selectors.due_timers(actor=dispatcher, now=london_time(2026, 11, 22, 9, 45), bcu_code="NE") == []


def test_timer_rules_are_data_with_effective_dates() -> None:
    assert rules.status_timers(dt.date(2025, 12, 31)) == []
    timers = rules.status_timers(dt.date(2026, 11, 22))
    assert rules.StatusTimer("at_scene", 45, "check on welfare") in timers


# Urgent assistance ------------------------------------------------------------------------


def test_urgent_assistance_is_raised_once_and_acknowledged(
    supervisor: User, dispatcher: User, handler: User, met: Force, make_user: MakeUser
) -> None:
    pc = make_user("pc.met", met, "response_officer")
    unit = make_unit(
        supervisor, "CW11", "IRV", officer(met, "Smith", user=pc, skills={"RESPONSE_DRIVER": (LONG_AGO, None)})
    )
    incident = new_incident(handler)
    unit_assignments.assign_unit(actor=dispatcher, incident=incident, unit=unit)
    raised = urgent_services.raise_urgent_assistance(actor=pc, unit=unit)
    assert raised.created
    assert raised.alert.bcu.code == "CW"  # type: ignore[union-attr]
    assert not urgent_services.raise_urgent_assistance(actor=pc, unit=unit).created
    assert [a.pk for a in unit_selectors.open_urgent_assistance(actor=dispatcher, bcu_code="CW")] == [raised.alert.pk]
    assert not unit_selectors.open_urgent_assistance(actor=dispatcher, bcu_code="NE").exists()
    with pytest.raises(PermissionDenied):
        urgent_services.acknowledge_urgent_assistance(actor=pc, alert=raised.alert)
    done = urgent_services.acknowledge_urgent_assistance(actor=dispatcher, alert=raised.alert)
    assert (done.acknowledged_by_label, done.acknowledged_at is not None) == ("disp.met", True)
    assert not unit_selectors.open_urgent_assistance(actor=dispatcher).exists()
    with pytest.raises(Conflict, match="already acknowledged"):
        urgent_services.acknowledge_urgent_assistance(actor=dispatcher, alert=raised.alert)
    texts = list(incident.log.values_list("text", flat=True))
    assert "URGENT ASSISTANCE: unit CW11" in texts
    assert "Urgent assistance for unit CW11 acknowledged" in texts
    topics = set(OutboxEvent.objects.values_list("topic", flat=True))
    assert {"control.urgent_assistance.raised", "control.urgent_assistance.acknowledged"} <= topics
    assert UrgentAssistance.objects.count() == 1


def test_an_officer_raises_urgent_assistance_only_for_their_own_unit(
    supervisor: User, met: Force, make_user: MakeUser
) -> None:
    pc = make_user("pc.met", met, "response_officer")
    other = make_unit(supervisor, "CW12", "IRV", _driver(met, "Jones"))
    with pytest.raises(PermissionDenied, match="not on unit CW12's crew"):
        urgent_services.raise_urgent_assistance(actor=pc, unit=other)


# Selectors --------------------------------------------------------------------------------


def test_unit_detail_shows_the_crew_with_current_authorisations(supervisor: User, dispatcher: User, met: Force) -> None:
    smith = officer(
        met, "Smith", skills={"RESPONSE_DRIVER": (LONG_AGO, None), "TASER": (LONG_AGO, dt.date(2026, 1, 1))}
    )
    unit = make_unit(supervisor, "CW11", "IRV", smith)
    with clock(NOV_22):
        detail = unit_selectors.unit_detail(actor=dispatcher, unit_id=unit.pk)
    assert [line.person.last_name for line in detail.crew] == ["Smith"]
    assert [a.skill.code for a in detail.crew[0].authorisations] == ["RESPONSE_DRIVER"]  # Taser expired
    assert [c.to_status.code for c in detail.history] == ["AVL", "OFF"]
    assert [u.call_sign for u in unit_selectors.units(actor=dispatcher, base_type="available")] == ["CW11"]
    assert not unit_selectors.units(actor=dispatcher, bcu_code="NE").exists()
    with pytest.raises(InvalidInput):
        unit_selectors.units(actor=dispatcher, base_type="asleep")


def test_another_force_sees_none_of_our_units(supervisor: User, city_handler: User, met: Force) -> None:
    unit = make_unit(supervisor, "CW11", "IRV", _driver(met))
    assert not unit_selectors.units(actor=city_handler).exists()
    with pytest.raises(NotFound):
        unit_selectors.unit_detail(actor=city_handler, unit_id=unit.pk)


def test_status_history_is_append_only(supervisor: User, met: Force) -> None:
    """The application refuses on every database; on PostgreSQL a trigger refuses raw SQL too
    (SQLite has no trigger: its test teardown deletes rows)."""
    unit = make_unit(supervisor, "CW11", "IRV", _driver(met))
    first = unit.status_changes.order_by("pk").first()
    assert first is not None
    with pytest.raises(ValueError, match="append-only"):
        type(first).objects.filter(pk=first.pk).update(by_label="nobody")
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE control_unitstatuschange SET by_label='nobody' WHERE id=%s", [first.pk])
    first.refresh_from_db()
    assert first.by_label != "nobody"
