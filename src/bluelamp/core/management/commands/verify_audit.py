"""`bluelamp verify-audit`: check the audit trail's hash chain and name the first broken entry."""

from __future__ import annotations

from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from bluelamp.core.audit import ChainReport, verify_chain

SHOWN_IDS = 5  # a search's entry lists fifty ids; the first few identify it


class Command(BaseCommand):
    help = (
        "Recompute the hash of every audit entry and its link to the one before; name the first "
        "entry that was changed or removed. Exit status 1 when the trail is broken."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=5000, help="entries read at a time (memory use grows with it)"
        )

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        from rich.console import Console
        from rich.markup import escape

        console = Console(file=cast(IO[str], self.stdout), soft_wrap=True, highlight=False)
        with console.status("Checking the audit trail…") as status:
            report = verify_chain(
                batch_size=max(batch_size, 1),
                progress=lambda checked: status.update(f"Checking the audit trail… {checked:,} entries checked"),
            )
        if report.intact:
            console.print(f"[bold green]Audit trail intact[/]: {report.checked:,} entries checked")
            if report.newest_hash:
                console.print(f"[dim]Newest entry's hash: {report.newest_hash}[/]")
            return
        console.print(f"[bold red]BROKEN[/] {escape(_where(report))}: {escape(report.reason)}")
        console.print(f"[dim]{report.checked:,} entries before it are intact.[/]")
        raise SystemExit(1)


def _where(report: ChainReport) -> str:
    entry = report.first_broken
    if entry is None:
        return "in the chain head"
    ids = [str(i) for i in entry.record_ids]
    shown = " ".join(ids[:SHOWN_IDS]) + (f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else "")
    record = f"{entry.record_type} {shown}".strip()
    return f"at entry #{entry.pk} ({timezone.localtime(entry.at):%Y-%m-%d %H:%M:%S}, {entry.operation}, {record})"
