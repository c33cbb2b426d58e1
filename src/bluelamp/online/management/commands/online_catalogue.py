"""bluelamp online-catalogue: check a service catalogue file, or install it in place of the
shipped one (it is checked first: a bad file changes nothing)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bluelamp.core.errors import InvalidInput
from bluelamp.online import catalogue


class Command(BaseCommand):
    help = "Check (or install) a Single Online Home service catalogue: report journeys as data."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["check", "install", "show"])
        parser.add_argument("file", nargs="?", type=Path, help="The catalogue JSON file (not for 'show').")

    def handle(self, *args: Any, **options: Any) -> None:
        action, path = options["action"], options["file"]
        if action == "show":
            for journey in catalogue.catalogue().journeys.values():
                self.stdout.write(f"{journey.slug}: {journey.title} ({len(journey.questions)} questions)")
            return
        if path is None:
            raise CommandError(f"Give the catalogue file: bluelamp online-catalogue {action} FILE")
        try:
            found = catalogue.load(path)
        except InvalidInput as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"{path}: {len(found.journeys)} journeys, all valid.")
        if action == "install":
            target = catalogue.installed_file()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            self.stdout.write(f"installed as {target}: every force site uses it now.")
