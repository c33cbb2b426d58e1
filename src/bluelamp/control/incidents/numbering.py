"""CAD numbers: one counter per force and day, allocated inside the transaction that makes the
incident."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from bluelamp.control.models import CadCounter
from bluelamp.core.models import Force


def cad_day(at: dt.datetime) -> dt.date:
    """The day a CAD number belongs to: the calendar day in the platform's zone (Europe/London)."""
    return timezone.localdate(at)


def allocate_cad_number(*, force: Force, day: dt.date) -> int:
    """The next CAD number of ``force`` on ``day``. The counter row stays locked until the
    caller's transaction ends, so concurrent incidents queue for their numbers."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_cad_number must run inside the transaction that uses the number")
    counter = CadCounter.objects.select_for_update().filter(force=force, day=day).first()
    if counter is None:  # the day's first incident: make the row (or find it made), then lock it
        CadCounter.objects.get_or_create(force=force, day=day)
        counter = CadCounter.objects.select_for_update().get(force=force, day=day)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number
