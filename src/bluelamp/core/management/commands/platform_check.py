"""`bluelamp check`: everything that would stop the platform working, in plain words."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from bluelamp.core.health import Finding, platform_findings


class Command(BaseCommand):
    help = "Check configuration, database, migrations and assets, and explain each problem."
    requires_system_checks: list[str] = []  # platform_findings runs them and explains them

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--deploy", action="store_true", help="include production checks in any environment")

    def handle(self, *args: Any, deploy: bool, **options: Any) -> None:
        from rich.console import Console

        console = Console(soft_wrap=True)
        findings = platform_findings(deploy=deploy or settings.BLUELAMP_ENV == "production")
        console.print(f"bluelamp check ({settings.BLUELAMP_ENV})")
        for finding in findings:
            console.print(_line(finding), highlight=False)
        errors = sum(1 for f in findings if f.level == "error")
        warnings = sum(1 for f in findings if f.level == "warning")
        if errors:
            console.print(f"[bold red]{errors} problem(s) must be fixed[/], {warnings} warning(s).")
            raise SystemExit(1)
        console.print(f"[bold green]No problems[/] ({warnings} warning(s)).")


def _line(finding: Finding) -> str:
    from rich.markup import escape

    mark = {"ok": "[green]ok[/]     ", "warning": "[yellow]warning[/]", "error": "[red]error[/]  "}[finding.level]
    hint = f"\n          [dim]{escape(finding.hint)}[/]" if finding.hint else ""
    return f"{mark} {escape(finding.message)}{hint}"
