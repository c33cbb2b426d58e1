"""Urgent assistance: an officer's emergency button, raised by the unit's crew and acknowledged
by the control room."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from bluelamp.control.actors import actor_label, actor_user, own_force
from bluelamp.control.incidents.log import append_log_entry
from bluelamp.control.incidents.services import lock_incident
from bluelamp.control.models import IncidentLogEntry, Resource, UrgentAssistance
from bluelamp.control.units.services import SET_STATUS, lock_unit, on_crew, open_assignment
from bluelamp.core.access import Actor, require
from bluelamp.core.errors import Conflict, PermissionDenied
from bluelamp.core.events import emit

if TYPE_CHECKING:  # named in annotations only: people are read through business's selectors
    pass

RAISE_URGENT = "control.raise_urgent_assistance"
ACKNOWLEDGE_URGENT = "control.acknowledge_urgent_assistance"
Kind = IncidentLogEntry.Kind


@dataclass(frozen=True)
class Raised:
    alert: UrgentAssistance
    created: bool  # False when the unit's alert was already open


@transaction.atomic
def raise_urgent_assistance(*, actor: Actor, unit: Resource, position: str = "") -> Raised:
    """An officer needs help now. Takes over every control-room screen of the unit's BCU until
    acknowledged; raising it again while open gives the same alert."""
    own_force(actor, unit.force_id)
    require(actor, RAISE_URGENT)
    if not actor.has_perm(SET_STATUS) and not on_crew(actor, unit):
        raise PermissionDenied(f"You are not on unit {unit.call_sign}'s crew: the control room can raise it for them.")
    committed = open_assignment(unit)
    incident = lock_incident(actor, committed.incident, None) if committed else None
    locked = lock_unit(actor, unit)
    already = UrgentAssistance.objects.filter(unit=locked, acknowledged_at__isnull=True).first()
    if already is not None:
        return Raised(already, created=False)
    alert = UrgentAssistance.objects.create(
        unit=locked,
        bcu=locked.home_bcu,
        incident=incident,
        raised_at=timezone.now(),
        raised_by=actor_user(actor),
        raised_by_label=actor_label(actor),
    )
    if incident is not None:
        append_log_entry(
            incident=incident,
            actor=actor,
            kind=Kind.UPDATED,
            text=f"URGENT ASSISTANCE: unit {locked.call_sign}",
            data={"unit_id": locked.pk, "urgent_assistance_id": alert.pk},
            position=position,
        )
    emit(
        "control.urgent_assistance.raised",
        force=locked.force,
        alert_id=alert.pk,
        unit_id=locked.pk,
        call_sign=locked.call_sign,
        bcu=locked.home_bcu.code if locked.home_bcu else None,
        incident_id=incident.pk if incident else None,
    )
    return Raised(alert, created=True)


@transaction.atomic
def acknowledge_urgent_assistance(*, actor: Actor, alert: UrgentAssistance, position: str = "") -> UrgentAssistance:
    """Someone in the control room has taken charge: the alert leaves the screens."""
    require(actor, ACKNOWLEDGE_URGENT)
    unit = alert.unit
    own_force(actor, unit.force_id)
    incident = lock_incident(actor, alert.incident, None) if alert.incident else None
    locked = UrgentAssistance.objects.select_for_update().get(pk=alert.pk)
    if locked.acknowledged_at is not None:
        raise Conflict(
            f"{locked.acknowledged_by_label} already acknowledged this alert at {locked.acknowledged_at:%H:%M:%S}."
        )
    locked.acknowledged_at, locked.acknowledged_by = timezone.now(), actor_user(actor)
    locked.acknowledged_by_label = actor_label(actor)
    locked.save(update_fields=["acknowledged_at", "acknowledged_by", "acknowledged_by_label"])
    if incident is not None:
        append_log_entry(
            incident=incident,
            actor=actor,
            kind=Kind.UPDATED,
            text=f"Urgent assistance for unit {unit.call_sign} acknowledged",
            data={"unit_id": unit.pk, "urgent_assistance_id": locked.pk},
            position=position,
        )
    emit(
        "control.urgent_assistance.acknowledged",
        force=unit.force,
        alert_id=locked.pk,
        unit_id=unit.pk,
        bcu=locked.bcu.code if locked.bcu else None,
    )
    return locked
