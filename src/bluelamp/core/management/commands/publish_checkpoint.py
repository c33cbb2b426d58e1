"""`bluelamp publish-checkpoint`: sign the audit trail's and incident logs' heads and write them
outside the database (run it at an interval: see docs/access-and-audit.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from bluelamp.core import audit, audit_checkpoints


class Command(BaseCommand):
    help = (
        "Write a signed checkpoint of the newest audit entry and incident log entry to "
        "BLUELAMP_AUDIT_CHECKPOINT_DIR, which verify-audit and verify-logs then hold the chains to."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        assert audit.CHECKPOINT_CHAIN  # imported for its registration of the audit trail's head
        try:
            written = audit_checkpoints.publish()
        except audit_checkpoints.BadCheckpoint as bad:  # the last one is where the next continues from
            raise CommandError(f"Not published: {bad}. Find out who changed it before publishing again.") from bad
        for path in written:
            self.stdout.write(f"Published {path}")
        if not written:
            self.stdout.write("Nothing to vouch for yet: no entries.")
