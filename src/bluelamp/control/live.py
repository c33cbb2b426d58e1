"""The control room's notices on the live screens (``bluelamp.core.live`` carries them).

Services write an ``OutboxEvent`` in their transaction; the ``control.live`` consumer of the
outbox (``bluelamp.core.consumers``) reads each committed ``control.*`` event and announces a
small notice — topic, force and the incident, contact, unit or alert id, never personal data —
to every open screen of the force whose reader may view incidents. Screens re-fetch what they
show; the notice only says *what* changed. Unit positions are the dispatch app's own notices."""

from __future__ import annotations

from bluelamp.core import consumers
from bluelamp.core.live import Notice, announce
from bluelamp.core.models import OutboxEvent

TOPIC_PREFIX = "control."
CONSUMER = "control.live"
READER_PERMISSION = "control.view_incident"  # what the notices reveal: that an incident or call changed
FIELDS = ("incident_id", "contact_id", "unit_id", "alert_id", "bcu")


def notice_for(event: OutboxEvent) -> Notice | None:
    if not event.topic.startswith(TOPIC_PREFIX) or event.force_id is None:
        return None
    payload = event.payload or {}
    data = {name: payload[name] for name in FIELDS if payload.get(name) is not None}
    return Notice(event.topic, event.force_id, READER_PERMISSION, data)


def _announce(event: OutboxEvent) -> None:
    notice = notice_for(event)
    if notice is not None:
        announce(notice)


consumers.register(CONSUMER, topics=(TOPIC_PREFIX,), handle=_announce, first=True)
