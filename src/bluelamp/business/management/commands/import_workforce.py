"""`bluelamp import_workforce`: import the HR system's CSV extract as a named HR user."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bluelamp.business import demo, services
from bluelamp.business.workforce_csv import WorkforceImportRejected
from bluelamp.core.errors import DomainError
from bluelamp.core.models import Force, User, with_related


class Command(BaseCommand):
    help = "Import a workforce CSV into the force of --user (an HR user). Nothing is imported if any row is wrong."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, help="the CSV extract from the HR system")
        parser.add_argument("--user", required=True, help="user name of the HR user doing the import (audited)")
        parser.add_argument("--example", action="store_true", help="load the fictional example units and people")

    def handle(self, *args: Any, file: Path | None, user: str, example: bool, **options: Any) -> None:
        actor = with_related(User.objects.filter(username=user), "force").first()
        if actor is None:
            raise CommandError(f"There is no user {user!r}.")
        force = actor.force
        if force is None:
            raise CommandError(f"{user} belongs to no force, so there is no workforce record to import into.")
        if (file is None) == (not example):
            raise CommandError("Give either a CSV file or --example.")
        try:
            result = self._import(actor, force, file)
        except WorkforceImportRejected as rejected:
            for error in rejected.errors:
                self.stderr.write(str(error))
            raise CommandError(rejected.message) from None
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"{result.rows} rows: {result.created} added, {result.updated} updated, {result.unchanged} unchanged; "
            f"authorisations {result.authorisations_added} added, {result.authorisations_changed} changed, "
            f"{result.authorisations_ended} ended."
        )

    def _import(self, actor: User, force: Force, file: Path | None) -> services.ImportResult:
        if file is None:
            return demo.load_example_workforce(actor=actor)
        try:
            with file.open("rb") as opened:
                return services.import_workforce_csv(actor=actor, force=force, file=opened, file_name=file.name)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
