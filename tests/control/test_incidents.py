"""Incidents: the CAD reference, grading from THRIVE with overrides, versions kept, the
lifecycle and optimistic concurrency."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from bluelamp.control import rules
from bluelamp.control.incidents import grading
from bluelamp.control.incidents import log as incident_log
from bluelamp.control.incidents import numbering as cad_numbers
from bluelamp.control.incidents import services as incident_services
from bluelamp.control.models import Incident, IncidentLogEntry, ThriveAssessment
from bluelamp.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bluelamp.core.models import Force, OutboxEvent, User
from tests.control.conftest import ALL_LOW, HIGH_THREAT, ST_PAULS, MakeUser, clock, london_time, new_incident

pytestmark = pytest.mark.django_db


# The CAD reference ------------------------------------------------------------------------


def test_cad_references_count_per_force_and_per_london_day(handler: User, city_handler: User) -> None:
    with clock(london_time(2026, 11, 22, 9, 0)):
        first, second = new_incident(handler), new_incident(handler)
        city_first = new_incident(city_handler, where=ST_PAULS)
    assert (first.reference, second.reference) == ("CAD 1/22NOV26", "CAD 2/22NOV26")
    assert city_first.reference == "CAD 1/22NOV26"  # each force has its own sequence
    with clock(london_time(2026, 11, 22, 23, 59, 59)):
        assert new_incident(handler).reference == "CAD 3/22NOV26"
    with clock(london_time(2026, 11, 23, 0, 0, 1)):  # midnight in London starts a new day
        assert new_incident(handler).reference == "CAD 1/23NOV26"


def test_the_day_is_londons_not_utcs(handler: User) -> None:
    # 23:30 UTC on 1 July is 00:30 on 2 July in London (BST).
    with clock(london_time(2026, 7, 2, 0, 30)):
        incident = new_incident(handler)
    assert incident.reference == "CAD 1/02JUL26"


@pytest.mark.django_db(transaction=True)
def test_numbers_allocated_in_separate_transactions_never_repeat(met: Force) -> None:
    day = london_time(2026, 11, 22, 10, 0).date()
    numbers = []
    for _ in range(3):
        with transaction.atomic():
            numbers.append(cad_numbers.allocate_cad_number(force=met, day=day))
    assert numbers == [1, 2, 3]
    with pytest.raises(RuntimeError):
        cad_numbers.allocate_cad_number(force=met, day=day)  # outside a transaction the lock means nothing


def test_the_database_refuses_a_repeated_cad_number(handler: User) -> None:
    incident = new_incident(handler)
    copy = Incident(force=incident.force, cad_day=incident.cad_day, cad_number=incident.cad_number,
                    created_at=incident.created_at, opening_category="crime.other")  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()


def test_an_incident_has_its_cad_number_when_it_is_made(handler: User) -> None:
    with clock(london_time(2026, 11, 22, 9, 0)):
        incident = new_incident(handler)
    assert (incident.cad_number, incident.reference) == (1, "CAD 1/22NOV26")
    created = OutboxEvent.objects.get(topic="control.incident.created")
    assert created.payload["reference"] == "CAD 1/22NOV26"  # receivers see the number at once


def test_the_database_refuses_an_incident_without_a_cad_number(handler: User) -> None:
    incident = new_incident(handler)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE control_incident SET cad_number = NULL WHERE id = %s", [incident.pk])


# Grading ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "grade"),
    [
        ({}, "E"),
        ({"harm": "high"}, "I"),
        ({"vulnerability": "high"}, "S"),
        ({"threat": "medium"}, "S"),
        ({"vulnerability": "high", "threat": "high"}, "I"),  # the most urgent proposal wins
    ],
)
def test_grading_rules_suggest_a_grade(changes: dict[str, str], grade: str) -> None:
    assert rules.suggest_grade(ALL_LOW | changes).grade == grade


def test_levels_must_be_complete_and_known() -> None:
    with pytest.raises(InvalidInput, match="engagement"):
        rules.suggest_grade({k: v for k, v in ALL_LOW.items() if k != "engagement"})
    with pytest.raises(InvalidInput, match="threat='severe'"):
        rules.suggest_grade(ALL_LOW | {"threat": "severe"})


def test_the_suggested_grade_is_taken_and_logged(handler: User) -> None:
    incident = new_incident(handler)
    assessed = grading.assess_incident(
        actor=handler, incident=incident, levels=HIGH_THREAT, notes={"threat": "Bottle in hand"}, expected_version=1
    )
    assert (assessed.incident.grade, assessed.incident.version) == ("I", 2)
    assert (assessed.assessment.number, assessed.assessment.threat_note) == (1, "Bottle in hand")
    kinds = list(incident.log.values_list("kind", flat=True))
    assert kinds == ["automatic", "assessed", "graded"]
    assert OutboxEvent.objects.filter(topic="control.incident.graded", payload__grade="I").exists()


def test_an_override_needs_a_reason(handler: User) -> None:
    incident = new_incident(handler)
    with pytest.raises(InvalidInput, match=r"The rules suggest grade I .* say why you chose S"):
        grading.assess_incident(actor=handler, incident=incident, levels=HIGH_THREAT, grade="S")
    assert not ThriveAssessment.objects.exists()
    assert Incident.objects.get(pk=incident.pk).grade == ""
    assessed = grading.assess_incident(
        actor=handler, incident=incident, levels=HIGH_THREAT, grade="S", override_reason="Suspect has left"
    )
    assert (assessed.assessment.suggested_grade, assessed.assessment.grade) == ("I", "S")
    graded = incident.log.get(kind="graded")
    assert "rules suggested I; reason: Suspect has left" in graded.text


def test_every_reassessment_is_a_new_version(handler: User) -> None:
    incident = new_incident(handler)
    grading.assess_incident(actor=handler, incident=incident, levels=ALL_LOW)
    grading.assess_incident(actor=handler, incident=incident, levels=HIGH_THREAT)
    versions = list(incident.assessments.values_list("number", "threat", "grade"))
    assert versions == [(1, "low", "E"), (2, "high", "I")]
    first = incident.assessments.get(number=1)
    first.grade = "R"
    with pytest.raises(ValueError, match="append-only"):
        first.save()
    with pytest.raises(ValueError, match="append-only"):
        ThriveAssessment.objects.filter(pk=first.pk).update(grade="R")


def test_grading_needs_the_permission(handler: User, dispatcher: User) -> None:
    incident = new_incident(handler)
    with pytest.raises(PermissionDenied):
        grading.assess_incident(actor=dispatcher, incident=incident, levels=ALL_LOW)


# Lifecycle --------------------------------------------------------------------------------


def test_the_lifecycle_runs_open_resourced_at_scene_closed_and_reopens(handler: User, dispatcher: User) -> None:
    incident = new_incident(handler)
    for status in ("resourced", "at_scene"):
        incident = incident_services.transition_incident(actor=dispatcher, incident=incident, to=status)
    incident = incident_services.transition_incident(
        actor=dispatcher,
        incident=incident,
        to="closed",
        closing_category="public_safety.concern_for_safety",  # may differ from the opening category
        closing_result="Words of advice; no offence disclosed",
    )
    assert (incident.status, incident.opening_category, incident.closing_category) == (
        "closed",
        "crime.violence",
        "public_safety.concern_for_safety",
    )
    assert incident.first_arrived_at is not None
    assert incident.closed_at is not None
    incident = incident_services.transition_incident(
        actor=dispatcher, incident=incident, to="open", note="Caller rang back"
    )
    assert (incident.status, incident.closed_at, incident.version) == ("open", None, 5)
    kinds = list(incident.log.values_list("kind", flat=True))
    assert kinds == ["automatic", "assigned", "arrived", "closed", "reopened"]


def test_closing_without_category_and_result_is_refused_and_changes_nothing(handler: User, dispatcher: User) -> None:
    incident = new_incident(handler)
    with pytest.raises(InvalidInput, match="closing category and the result"):
        incident_services.transition_incident(actor=dispatcher, incident=incident, to="closed", closing_result="Done")
    with pytest.raises(InvalidInput, match="not an NSIR closing category"):
        incident_services.transition_incident(
            actor=dispatcher, incident=incident, to="closed", closing_category="made.up", closing_result="Done"
        )
    after = Incident.objects.get(pk=incident.pk)
    assert (after.status, after.version, after.log_length) == ("open", 1, 1)


def test_invalid_transitions_are_refused_with_a_clear_message(handler: User, dispatcher: User) -> None:
    incident = new_incident(handler)
    incident_services.transition_incident(actor=dispatcher, incident=incident, to="at_scene")
    with pytest.raises(Conflict, match=r"is at scene: it cannot become resourced \(it can become closed\)"):
        incident_services.transition_incident(actor=dispatcher, incident=incident, to="resourced")
    with pytest.raises(InvalidInput, match="'lost' is not a status"):
        incident_services.transition_incident(actor=dispatcher, incident=incident, to="lost")
    after = Incident.objects.get(pk=incident.pk)
    assert (after.status, after.version) == ("at_scene", 2)


def test_closing_needs_the_close_permission(handler: User) -> None:
    incident = new_incident(handler)
    with pytest.raises(PermissionDenied):
        incident_services.transition_incident(
            actor=handler, incident=incident, to="closed", closing_category="crime.other", closing_result="x"
        )


def test_asb_needs_its_type_qualifier(handler: User) -> None:
    with pytest.raises(InvalidInput, match="exactly one of these qualifiers: asb_personal"):
        new_incident(handler, category="asb", qualifiers=[])
    assert new_incident(handler, category="asb", qualifiers=["asb_nuisance"]).opening_category == "asb"


def test_another_forces_incident_cannot_be_changed(handler: User, city: Force, make_user: MakeUser) -> None:
    incident = new_incident(handler)
    outsider = make_user("sup.city", city, "control_supervisor")
    with pytest.raises(NotFound):
        incident_services.transition_incident(actor=outsider, incident=incident, to="resourced")
    with pytest.raises(NotFound):
        incident_log.add_log_entry(actor=outsider, incident=incident, text="hello")
    assert Incident.objects.get(pk=incident.pk).status == "open"


# Optimistic concurrency -------------------------------------------------------------------


def test_a_change_made_on_an_old_version_is_refused(handler: User, dispatcher: User) -> None:
    incident = new_incident(handler)
    incident_services.transition_incident(actor=dispatcher, incident=incident, to="resourced", expected_version=1)
    with pytest.raises(Conflict, match=r"Someone else changed CAD .* reload it"):
        grading.assess_incident(actor=handler, incident=incident, levels=HIGH_THREAT, expected_version=1)
    assert not ThriveAssessment.objects.exists()
    assert not IncidentLogEntry.objects.filter(kind="assessed").exists()
    grading.assess_incident(actor=handler, incident=incident, levels=HIGH_THREAT, expected_version=2)
