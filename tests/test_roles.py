"""Each default role's main allowances and denials, from roles.json, over real HTTP requests:
200 where the role's work needs the page, 403 (a clear page) everywhere else."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from bluelamp.core.models import Force, Role, User
from bluelamp.core.services import ROLES_FILE, seed_roles

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("london")]

PAGES = {
    "workforce": "/hr/people/",
    "expiring authorisations": "/hr/expiring/",
    "workforce import": "/hr/import/",
    "audit search": "/audit/",
    "roles": "/access/roles/",
    "API tokens": "/access/tokens/",
    "command view": "/control/command/",
    "platform charges": "/finance/charging/",
    "device register": "/devices/",
}
# Which pages each role may open; every other page must answer 403.
ALLOWED = {
    "call_handler": set(),
    # Who is authorised for what (and until when) decides who can be sent.
    "dispatcher": {"expiring authorisations"},
    "control_supervisor": {"expiring authorisations", "command view"},
    "command": {"command view"},
    "response_officer": set(),
    "analyst": set(),
    "data_protection_officer": {"audit search"},
    "auditor": {"audit search"},
    "content_editor": set(),
    "national_content_editor": set(),
    "hr": {"workforce", "expiring authorisations", "workforce import"},
    "finance": set(),
    "commercial": set(),
    # Issues devices to people, so finds them in the workforce record.
    "device_manager": {"workforce", "device register"},
    "force_admin": {"roles", "API tokens"},
    "national_admin": {"audit search", "roles", "API tokens", "platform charges"},
}


def test_every_default_role_is_in_the_matrix() -> None:
    codes = {spec["code"] for spec in json.loads(ROLES_FILE.read_text())["roles"]}
    assert codes == set(ALLOWED)


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_role_opens_exactly_the_pages_its_work_needs(client: Client, role: str) -> None:
    met = Force.objects.get(code="met")
    seed_roles(force=met)
    user = User.objects.create_user(username=f"someone-{role}", force=met)
    Role.objects.get(force=met, code=role).members.add(user)
    client.force_login(user)
    answers = {page: client.get(url).status_code for page, url in PAGES.items()}
    expected = {page: 200 if page in ALLOWED[role] else 403 for page in PAGES}
    assert answers == expected


def test_signed_out_visitors_are_sent_to_sign_in(client: Client) -> None:
    for url in PAGES.values():
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/sign-in/")


@pytest.mark.parametrize(
    ("role", "expected"),
    [("call_handler", 201), ("control_supervisor", 201), ("analyst", 403), ("dispatcher", 403), ("hr", 403)],
)
def test_who_may_create_contacts_and_incidents(client: Client, role: str, expected: int) -> None:
    """A call handler takes calls; an analyst (or anyone else) cannot create them."""
    from tests.control.test_api import CALL

    met = Force.objects.get(code="met")
    seed_roles(force=met)
    user = User.objects.create_user(username=f"caller-{role}", force=met)
    Role.objects.get(force=met, code=role).members.add(user)
    client.force_login(user)
    response = client.post("/api/v1/control/contacts", CALL, content_type="application/json")
    assert response.status_code == expected, response.content
    if expected == 201:
        incident = client.post(
            f"/api/v1/control/contacts/{response.json()['id']}/incident", {}, content_type="application/json"
        )
        assert incident.status_code in {200, 201}, incident.content
