"""Demo data for `bluelamp demo`. Development only: the sign-ins are printed on screen."""

from __future__ import annotations

from django.db import transaction

from bluelamp.core import services
from bluelamp.core.models import Force, User

DEMO_PASSWORD = "bluelamp-demo-only"  # noqa: S105 - printed on screen; the demo refuses production

# user name, first name, last name, force code (None: national), superuser?, description
DEMO_USERS = [
    ("admin", "Nat", "Admin", None, True, "National administrator (every force, the admin site)"),
]


def load_reference_data() -> None:
    services.load_geography()


@transaction.atomic
def create_sign_ins() -> list[tuple[str, str]]:
    shown = []
    for username, first, last, force_code, superuser, description in DEMO_USERS:
        force = Force.objects.get(code=force_code) if force_code else None
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "force": force},
        )
        user.is_staff = user.is_superuser = superuser
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
        user.save()
        shown.append((username, description))
    return shown
