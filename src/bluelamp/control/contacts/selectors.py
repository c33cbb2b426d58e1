"""Reads of contacts. Everything an actor asks for goes through ``bluelamp.core.access.scoped``:
403 without the permission, another force's records simply absent (404); reading callers' details
is recorded."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bluelamp.control.models import Contact, Incident
from bluelamp.core import consultations
from bluelamp.core.access import Actor, get_scoped
from bluelamp.core.models import with_related

VIEW_CONTACT = "control.view_contact"


def contact(*, actor: Actor, contact_id: int) -> Contact:
    return get_scoped(
        with_related(Contact.objects.all(), "force", "borough", "bcu"), actor, permission=VIEW_CONTACT, pk=contact_id
    )


def contact_ids_of(incident_id: int) -> list[int]:
    """The contacts linked to an incident, for consumers of its events (not scoped, as above)."""
    return list(Contact.objects.filter(incident_id=incident_id).values_list("pk", flat=True))


# Consultations of personal data (DPA 2018 s.62): a contact holds the caller's identity, so every
# page or answer that shows contacts records one entry naming them (core/consultations.py).
CONTACT_RECORD = "control.contact"


def record_contacts_shown(*, actor: Actor, contacts: Iterable[Contact | int], via: str, **details: Any) -> None:
    """One consultation naming every contact on a page or in an answer."""
    consultations.record_shown(actor=actor, record_type=CONTACT_RECORD, shown=contacts, via=via, **details)


def record_callers_shown(*, actor: Actor, incident: Incident, via: str) -> None:
    """An incident's page and log show its callers: record the reading of its contacts."""
    callers = incident.contacts.order_by("pk").values_list("pk", flat=True)
    record_contacts_shown(actor=actor, contacts=callers, via=via, incident=incident.pk)


def consult_contact(*, actor: Actor, contact_id: int, via: str) -> Contact:
    """One contact, its reading recorded."""
    found = contact(actor=actor, contact_id=contact_id)
    record_contacts_shown(actor=actor, contacts=[found], via=via)
    return found
