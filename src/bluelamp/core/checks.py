"""System checks for unsafe or unworkable settings. ``bluelamp check`` shows them and
``bluelamp serve`` refuses to start in production while any error remains."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.db import DatabaseError

from bluelamp.config import DEV_AUDIT_KEY_ID, DEV_AUDIT_KEYS

# `bluelamp demo` marks its accounts so (their password is printed on screen).
DEMO_ACCOUNT_LAST_NAME = "(demo)"

MIN_SECRET_KEY_LENGTH = 50


@register("bluelamp", deploy=True)
def production_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.BLUELAMP_ENV != "production":
        return []
    problems: list[CheckMessage] = []
    if settings.DEBUG:
        problems.append(
            Error(
                "Debug mode is on in production: error pages would show code and settings.",
                hint="Unset BLUELAMP_DEBUG or set it to false.",
                id="bluelamp.E001",
            )
        )
    key = settings.SECRET_KEY
    if len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < 5 or key.startswith("django-insecure"):
        problems.append(
            Error(
                f"SECRET_KEY is too weak: it needs at least {MIN_SECRET_KEY_LENGTH} random characters.",
                hint="Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'",
                id="bluelamp.E002",
            )
        )
    if "*" in settings.ALLOWED_HOSTS:
        problems.append(
            Error(
                "ALLOWED_HOSTS contains '*': any Host header would be accepted.",
                hint="List the real host names, comma-separated, e.g. ALLOWED_HOSTS=police.example.org.",
                id="bluelamp.E003",
            )
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        problems.append(
            Warning(
                "Production is using SQLite: fine for one server (several workers too), not for several hosts.",
                hint="Set DATABASE_URL=postgresql://user:password@host:5432/name.",
                id="bluelamp.W004",
            )
        )
    if not settings.SECURE_SSL_REDIRECT:
        problems.append(
            Warning(
                "HTTP requests are not redirected to HTTPS.",
                hint="Only set BLUELAMP_SSL_REDIRECT=false when a proxy in front already redirects.",
                id="bluelamp.W005",
            )
        )
    if settings.BLUELAMP_AUDIT_KEYS.get(settings.BLUELAMP_AUDIT_KEY_ID) == DEV_AUDIT_KEYS[DEV_AUDIT_KEY_ID]:
        problems.append(
            Error(
                "The audit trail is keyed with the development key, which everyone knows: anyone with database "
                "access could rewrite it undetected.",
                hint="Set BLUELAMP_AUDIT_KEYS=<key-id>:<secret> (keep earlier keys listed to verify old entries).",
                id="bluelamp.E010",
            )
        )
    problems += _receipts_problems() + _demo_account_problems()
    return problems


def _receipts_problems() -> list[CheckMessage]:
    # Without Notify, receipts (with each reporter's tracking code) would be kept in the local
    # outbox table in clear instead of being sent.
    if settings.NOTIFY_API_KEY:
        return []
    return [
        Error(
            "NOTIFY_API_KEY is not set: receipts to the public would be stored in the database in clear "
            "instead of being sent.",
            hint="Set NOTIFY_API_KEY and NOTIFY_TEMPLATE_ID from your GOV.UK Notify service.",
            id="bluelamp.E006",
        )
    ]


def _demo_account_problems() -> list[CheckMessage]:
    from bluelamp.core.models import User

    try:
        demo = list(
            User.objects.filter(last_name=DEMO_ACCOUNT_LAST_NAME, is_active=True).values_list("username", flat=True)[:6]
        )
    except DatabaseError:
        return []  # no database yet: `bluelamp check` reports that on its own
    if not demo:
        return []
    shown = ", ".join(demo[:5]) + (", ..." if len(demo) > 5 else "")
    return [
        Warning(
            f"The database has demo accounts, whose password is public: {shown}.",
            hint="Deactivate or delete them (Django admin, or `bluelamp shell`) before real use.",
            id="bluelamp.W007",
        )
    ]
