"""`bluelamp verify-logs`: check every incident log's hash chain and name the first broken entry."""

from __future__ import annotations

from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from bluelamp.control.integrity import LogReport, verify_logs


class Command(BaseCommand):
    help = (
        "Recompute the hash of every incident log entry and its link to the one before; name the "
        "first entry that was changed or removed. Exit status 1 when a log is broken."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=5000, help="entries read at a time (memory use grows with it)"
        )

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        from rich.console import Console
        from rich.markup import escape

        console = Console(file=cast(IO[str], self.stdout), soft_wrap=True, highlight=False)
        with console.status("Checking the incident logs…") as status:
            report = verify_logs(
                batch_size=max(batch_size, 1),
                progress=lambda checked: status.update(f"Checking the incident logs… {checked:,} entries checked"),
            )
        if report.intact:
            checked = f"{report.checked:,} entries of {report.incidents:,} incidents checked"
            console.print(f"[bold green]Incident logs intact[/]: {checked}")
            return
        console.print(f"[bold red]BROKEN[/] {escape(_where(report))}: {escape(report.reason)}")
        raise SystemExit(1)


def _where(report: LogReport) -> str:
    entry, incident = report.first_broken, report.incident
    if entry is None and incident is None:
        return "against the published checkpoints"
    name = incident.reference if incident is not None else "an incident that no longer exists"
    if entry is None:
        return f"in the log of {name}"
    return f"at log entry #{entry.pk} of {name} ({timezone.localtime(entry.at):%Y-%m-%d %H:%M:%S}, {entry.kind})"
