"""Reads for the Single Online Home: the public's view of their own report, and staff reads
scoped by force and permission (a report of another force is not there)."""

from __future__ import annotations

from django.db.models import QuerySet

from bluelamp.core import audit
from bluelamp.core.access import Actor, get_scoped, scoped
from bluelamp.core.models import Force
from bluelamp.online.models import Delivery, Report, ReportUpdate

VIEW = "online.view_report"


def tracked_report(*, force: Force, report_id: int) -> Report | None:
    """The report a person proved they made (reference and code), on a site it belongs to."""
    return (
        Report.objects.filter(pk=report_id, site_force=force).first()
        or Report.objects.filter(pk=report_id, force=force).first()
    )


def public_updates(report: Report) -> QuerySet[ReportUpdate]:
    """What the reporter sees: status changes, the force's messages and what they added."""
    return report.updates.order_by("at", "id")


def reports(actor: Actor) -> QuerySet[Report]:
    return scoped(Report.objects.all(), actor, permission=VIEW)


def report_to_act_on(actor: Actor, reference: str) -> Report:
    """One report, for a service that changes it (which audits what it does); not for showing."""
    return get_scoped(
        Report.objects.select_related("force").defer("force__boundary"),
        actor,
        permission=VIEW,
        reference=reference.upper(),
    )


def report(actor: Actor, reference: str, *, justification: str) -> Report:
    """One report with the reporter's details; the reading is audited with why (DPA 2018 s.62),
    and refused without a justification when the reporter is named."""
    found = report_to_act_on(actor, reference)
    if not found.anonymous and found.personal_data_purged_at is None:
        audit.record(
            operation=audit.Operation.CONSULTATION,
            actor=actor,
            record_type="online.report",
            record_ids=[found.pk],
            force=found.force,
            justification=justification,
        )
    return found


def failing_deliveries(actor: Actor) -> QuerySet[Delivery]:
    return scoped(
        Delivery.objects.exclude(state=Delivery.State.DELIVERED).filter(attempts__gt=0).select_related("report"),
        actor,
        permission="online.view_delivery",
        force_field="report__force",
    )
