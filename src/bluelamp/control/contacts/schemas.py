"""The JSON shapes of contacts: what each channel sends, and a contact as read back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from bluelamp.control.models import Contact


class LocationIn(Schema):
    address: str = Field("", examples=["12 Whitehall, London SW1A 2DD"])
    lat: float | None = Field(None, examples=[51.5045])
    lon: float | None = Field(None, examples=[-0.1265])


class ContactIn(LocationIn):
    channel: str = Field(..., examples=["999"], description="999, 101, online, anpr or alarm")
    received_at: dt.datetime | None = Field(None, description="When the contact came in (default now).")
    caller_name: str = Field("", examples=["Sam Caller"])
    caller_phone: str = Field("", examples=["07700 900123"])
    description: str = Field("", examples=["Two men fighting outside the pub, one has a bottle"])
    category: str = Field("", examples=["crime.violence"], description="NSIR code from control/data/nsir.json")
    qualifiers: list[str] = Field(default_factory=list, examples=[["alcohol"]])
    details: dict[str, Any] = Field(default_factory=dict, description="Everything the channel sent, kept as sent.")
    source_reference: str = Field(
        "", examples=["SOH-2026-000123"], description="The sender's reference: sending it again gives the same contact."
    )


class AnprIn(LocationIn):
    plate: str = Field(..., examples=["AB12CDE"])
    camera: str = Field(..., examples=["CAM-A40-0117"])
    seen_at: dt.datetime = Field(..., examples=["2026-11-22T03:14:00Z"])
    hotlist: str = Field(..., examples=["PNC stolen"])
    reason: str = Field(..., examples=["Reported stolen 21/11"])
    read_id: str = Field("", description="The ANPR system's id for the read, so a repeat gives the same contact.")


class AlarmIn(LocationIn):
    alarm_id: str = Field(..., examples=["URN-0042-7781"])
    premises: str = Field(..., examples=["Jewellers, 4 Burlington Arcade"])
    alarm_type: str = Field(..., examples=["intruder"], description="e.g. intruder, personal attack, hold-up")
    activated_at: dt.datetime = Field(..., examples=["2026-11-22T02:05:00Z"])
    event_id: str = Field("", description="The alarm receiving centre's event id, for repeats.")


class ContactOut(Schema):
    id: int
    channel: str
    received_at: dt.datetime
    received_by: str
    caller_name: str
    caller_phone: str
    address: str
    lat: float | None
    lon: float | None
    borough: str | None
    bcu: str | None
    h3_cell: str
    description: str
    category: str
    qualifiers: list[str]
    details: dict[str, Any]
    source_reference: str
    outcome: str
    resolution_code: str
    resolution_note: str
    incident_id: int | None
    incident_reference: str | None

    @staticmethod
    def resolve_borough(contact: Contact) -> str | None:
        return contact.borough.name if contact.borough else None

    @staticmethod
    def resolve_bcu(contact: Contact) -> str | None:
        return contact.bcu.code if contact.bcu else None

    @staticmethod
    def resolve_incident_reference(contact: Contact) -> str | None:
        return contact.incident.reference if contact.incident else None


class ResolveIn(Schema):
    resolution_code: str = Field(..., examples=["advice"], description="From control/data/contacts.json")
    note: str = Field("", examples=["Advised to contact the landlord; crime reference not needed"])


class LinkIn(Schema):
    incident_id: int
    position: str = Field("", examples=["CW call handling 7"])


class NewIncidentIn(Schema):
    category: str = Field("", description="NSIR opening category; default the contact's.")
    qualifiers: list[str] | None = None
    position: str = Field("", examples=["CW call handling 7"])


class CallIn(ContactIn):
    category: str = Field(..., examples=["crime.violence"], description="NSIR opening category (nsir.json)")
    position: str = Field("", examples=["CW call handling 7"])
