"""Emails to the public through one adapter: GOV.UK Notify when NOTIFY_API_KEY is configured,
otherwise a local outbox (the SentMessage table, shown in Django admin) that sends nothing.
Nothing personal is logged: only that a receipt was sent for a report."""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings

from bluelamp.online.models import Report, SentMessage

logger = logging.getLogger(__name__)


class Backend(Protocol):
    def send(self, *, to: str, subject: str, body: str, report: Report | None) -> None: ...


class OutboxBackend:
    """Keeps each message in a table instead of sending it (development, tests, demos)."""

    def send(self, *, to: str, subject: str, body: str, report: Report | None) -> None:
        SentMessage.objects.create(to=to, subject=subject, body=body, report=report)


class NotifyBackend:
    """GOV.UK Notify: one email template with ``subject`` and ``body`` personalisation."""

    def __init__(self, api_key: str, template_id: str) -> None:
        from notifications_python_client.notifications import NotificationsAPIClient

        self.client = NotificationsAPIClient(api_key)  # type: ignore[no-untyped-call]
        self.template_id = template_id

    def send(self, *, to: str, subject: str, body: str, report: Report | None) -> None:
        self.client.send_email_notification(  # type: ignore[no-untyped-call]
            email_address=to,
            template_id=self.template_id,
            personalisation={"subject": subject, "body": body},
            reference=report.reference if report else None,
        )


def backend() -> Backend:
    if settings.NOTIFY_API_KEY:
        return NotifyBackend(settings.NOTIFY_API_KEY, settings.NOTIFY_TEMPLATE_ID)
    return OutboxBackend()


def send_receipt(*, report: Report, code: str, track_url: str) -> None:
    """The receipt: the reference, the one-time tracking code and where to use them."""
    if not report.reporter_email or not code:
        return
    body = (
        f"Thank you for your report to {report.force.name}.\n\n"
        f"Your reference number is {report.reference}\n"
        f"Your tracking code is {code}\n\n"
        f"Keep this email. To see what is happening with your report, or to add information, go to "
        f"{track_url} and give your reference number and tracking code.\n\n"
        "If anyone is in immediate danger, call 999. Do not reply to this email."
    )
    try:
        backend().send(to=report.reporter_email, subject=f"Your report {report.reference}", body=body, report=report)
    except Exception:
        logger.exception("online: the receipt for report %s could not be sent", report.pk)
        return
    logger.info("online: receipt sent for report %s", report.pk)
