"""THRIVE assessments and the grade they give an incident. Like every change to an incident,
an assessment takes ``expected_version`` and is refused with a Conflict when someone else changed
the incident meanwhile."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from bluelamp.control import rules
from bluelamp.control.actors import actor_label, actor_user
from bluelamp.control.incidents.log import append_log_entry
from bluelamp.control.incidents.services import lock_incident, save_new_version
from bluelamp.control.models import THRIVE_DIMENSIONS, Grade, Incident, IncidentLogEntry, ThriveAssessment
from bluelamp.core.access import Actor, require
from bluelamp.core.errors import Conflict, InvalidInput
from bluelamp.core.events import emit

Kind = IncidentLogEntry.Kind
Status = Incident.Status


@dataclass(frozen=True)
class Assessed:
    incident: Incident
    assessment: ThriveAssessment


@transaction.atomic
def assess_incident(
    *,
    actor: Actor,
    incident: Incident,
    levels: dict[str, str],
    notes: dict[str, str] | None = None,
    grade: str | None = None,
    override_reason: str = "",
    expected_version: int | None = None,
    position: str = "",
) -> Assessed:
    """Record a THRIVE assessment (a new version; earlier ones are kept) and grade the incident.
    The rules suggest a grade; choosing another needs a reason."""
    require(actor, "control.grade_incident")
    notes = notes or {}
    unknown = set(levels) - set(THRIVE_DIMENSIONS) | set(notes) - set(THRIVE_DIMENSIONS)
    if unknown:
        raise InvalidInput(f"Not THRIVE dimensions: {', '.join(sorted(unknown))}.")
    suggestion = rules.suggest_grade(levels)
    grade = grade or suggestion.grade
    override_reason = override_reason.strip()
    if grade not in Grade.values:
        raise InvalidInput(f"{grade!r} is not a grade: use one of {', '.join(Grade.values)}.")
    if grade != suggestion.grade and not override_reason:
        raise InvalidInput(
            f"The rules suggest grade {suggestion.grade} ({suggestion.reason}); say why you chose {grade}."
        )
    locked = lock_incident(actor, incident, expected_version)
    if locked.status == Status.CLOSED:
        raise Conflict(f"{locked.reference} is closed: reopen it before re-assessing.")
    assessment = ThriveAssessment.objects.create(
        incident=locked,
        number=locked.assessments.count() + 1,
        at=timezone.now(),
        assessed_by=actor_user(actor),
        assessed_by_label=actor_label(actor),
        suggested_grade=suggestion.grade,
        suggestion_reason=suggestion.reason[:200],
        grade=grade,
        override_reason=override_reason if grade != suggestion.grade else "",
        **{dimension: levels[dimension] for dimension in THRIVE_DIMENSIONS},
        **{f"{dimension}_note": notes.get(dimension, "").strip() for dimension in THRIVE_DIMENSIONS},
    )
    _log_assessment(actor, locked, assessment, position)
    previous_grade = locked.grade
    locked.grade = grade
    save_new_version(locked, ["grade"])
    if grade != previous_grade:
        _log_grade(actor, locked, assessment, previous_grade, position)
        emit("control.incident.graded", force=locked.force, incident_id=locked.pk, grade=grade, previous=previous_grade)
    emit("control.incident.assessed", force=locked.force, incident_id=locked.pk, version=assessment.number)
    return Assessed(locked, assessment)


def _log_assessment(actor: Actor, incident: Incident, assessment: ThriveAssessment, position: str) -> None:
    levels = {dimension: getattr(assessment, dimension) for dimension in THRIVE_DIMENSIONS}
    summary = ", ".join(f"{dimension.capitalize()} {level}" for dimension, level in levels.items())
    append_log_entry(
        incident=incident,
        actor=actor,
        kind=Kind.ASSESSED,
        text=f"THRIVE v{assessment.number}: {summary}",
        data={"assessment": assessment.number, "levels": levels},
        position=position,
    )


def _log_grade(actor: Actor, incident: Incident, assessment: ThriveAssessment, previous: str, position: str) -> None:
    text = f"Graded {assessment.grade}" + (f" (was {previous})" if previous else "")
    if assessment.override_reason:
        text += f"; rules suggested {assessment.suggested_grade}; reason: {assessment.override_reason}"
    append_log_entry(
        incident=incident,
        actor=actor,
        kind=Kind.GRADED,
        text=text,
        data={
            "grade": assessment.grade,
            "previous": previous,
            "suggested": assessment.suggested_grade,
            "override_reason": assessment.override_reason,
        },
        position=position,
    )
