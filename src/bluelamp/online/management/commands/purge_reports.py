"""bluelamp purge-reports: erase reporters' contact details and evidence past their retention."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from bluelamp.online import services


class Command(BaseCommand):
    help = "Erase online reporters' contact details and evidence once kept for the retention period."

    def handle(self, *args: Any, **options: Any) -> None:
        purged = services.purge_reports()
        self.stdout.write(
            f"contact details erased from {purged.reports} reports; {purged.files} evidence files deleted; "
            f"{purged.drafts} files of reports never sent deleted"
        )
