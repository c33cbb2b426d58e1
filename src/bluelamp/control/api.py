"""Command and Control API: one router for the control room, made of one router per domain —
contacts, incidents, units — so each domain's endpoints live beside its services and selectors.

Every read goes through the selectors (403 without the permission, 404 for another force's
record); every write through the services. Changes to an incident carry ``expected_version``,
the version the operator was looking at: 409 when someone else changed it meanwhile.

Operation ids are given explicitly (``bluelamp_control_api_…``): they were derived from this
module's name before the split, and API clients generated from the schema keep working."""

from __future__ import annotations

from ninja import Router

from bluelamp.control.contacts.api import router as contacts_router
from bluelamp.control.incidents.api import router as incidents_router
from bluelamp.control.units.api import router as units_router

router = Router()
router.add_router("", contacts_router)
router.add_router("", incidents_router)
router.add_router("", units_router)
