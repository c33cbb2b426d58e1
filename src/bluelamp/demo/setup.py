"""Demo data for `bluelamp demo`. Development only: the sign-ins are printed on screen."""

from __future__ import annotations

import json
from functools import cache

from django.contrib.auth.hashers import make_password
from django.db import transaction

from bluelamp.business.charging_demo import load_example_charging
from bluelamp.business.demo import load_example_workforce
from bluelamp.business.services import load_skills
from bluelamp.control.units.services import load_unit_types
from bluelamp.core import services
from bluelamp.core.models import Force, Role, User
from bluelamp.demo import places
from bluelamp.mobility.demo import seed_demo_register
from bluelamp.online.cms.demo import seed_demo_sites
from bluelamp.online.demo import seed_demo as seed_report_destinations

DEMO_PASSWORD = "bluelamp-demo-only"  # noqa: S105 - printed on screen; the demo refuses production
DEMO_FORCES = ("met", "city", "thamesvalley", "hampshire")


def load_reference_data() -> None:
    load_skills()  # rules as data, loaded by migrations too; again here in case tables were emptied
    load_unit_types()
    services.load_geography()
    services.load_gazetteer(places.street_rows(), source=places.SOURCE)  # "find the address" on a call
    services.load_gazetteer(places.landmark_rows(), source=places.LANDMARKS_SOURCE)
    seed_demo_sites()  # the four demo force websites (and the two forces without a boundary)
    seed_report_destinations()  # online reports to the Met and City go to their control rooms
    for force in Force.objects.filter(code__in=DEMO_FORCES):
        services.seed_roles(force=force)


def _role_specs() -> list[dict[str, str]]:
    specs: list[dict[str, str]] = json.loads(services.ROLES_FILE.read_text(encoding="utf-8"))["roles"]
    return specs


@transaction.atomic
def create_sign_ins() -> list[tuple[str, str]]:
    """One account per role in the Met (``met-<role>``), an HR officer and an auditor in the City
    of London Police (to see that forces cannot see each other), and a platform superuser."""
    wanted: list[tuple[str, Force | None, str | None, str]] = [("admin", None, None, "Platform superuser (admin site)")]
    met, city = Force.objects.get(code="met"), Force.objects.get(code="city")
    for spec in _role_specs():
        wanted.append((f"met-{spec['code'].replace('_', '-')}", met, spec["code"], f"Met: {spec['name']}"))
    wanted += [
        ("city-hr", city, "hr", "City of London Police: HR"),
        ("city-auditor", city, "auditor", "City of London Police: Auditor"),
        ("city-content-editor", city, "content_editor", "City of London Police: Content editor"),
    ]
    for username, force, role_code, description in wanted:
        _demo_account(username, force, role_code, description)
    load_example_workforce(actor=User.objects.get(username="met-hr"))
    load_example_charging(actor=User.objects.get(username="met-national-admin"))
    seed_demo_register(actor=User.objects.get(username="met-device-manager"))
    return [(username, description) for username, _, _, description in wanted]


@cache
def _demo_password_hash() -> str:
    """Hashed once for every demo account: a strong hash takes a fifth of a second to make."""
    return make_password(DEMO_PASSWORD)


def _demo_account(username: str, force: Force | None, role_code: str | None, description: str) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": description.split(": ")[-1], "last_name": "(demo)", "force": force}
    )
    user.is_staff = user.is_superuser = role_code is None
    if created or not user.check_password(DEMO_PASSWORD):
        user.password = _demo_password_hash()
    user.save()
    if role_code and force:
        Role.objects.get(force=force, code=role_code).members.add(user)
    return user
