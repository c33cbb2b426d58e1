"""`bluelamp flush`: Django's flush, which the audit trail's and incident logs' guards would
refuse, with the guards lifted for the wipe outside production (Django's tests empty the
database this way between transactional tests); refused in production, where nothing in an
audit trail is ever removed."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections

from bluelamp.core.db import append_only


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        if settings.BLUELAMP_ENV == "production":
            raise CommandError(
                "flush would erase the audit trail and the incident logs, which are kept append-only: "
                "it is refused in production. Restore a backup into a new database instead."
            )
        with append_only.lifted(connections[options.get("database") or DEFAULT_DB_ALIAS]):
            super().handle(**options)
