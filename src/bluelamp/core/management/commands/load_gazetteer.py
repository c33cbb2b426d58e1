import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bluelamp.core import services
from bluelamp.core.errors import DomainError

COLUMNS = {"name", "lat", "lon"}


class Command(BaseCommand):
    help = (
        "Load named places (streets, stations…) that call handlers can find by name: a CSV with the "
        "columns name, lat, lon and optionally locality. Replaces the places loaded before from the same source."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV file (UTF-8) with a header row")
        parser.add_argument(
            "--source", default="", help="what the file is, e.g. 'OS Open Names 2026-10' (default: its name)"
        )

    def handle(self, *args: Any, file: Path, source: str, **options: Any) -> None:
        try:
            with file.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle)
                missing = COLUMNS - set(reader.fieldnames or [])
                if missing:
                    raise CommandError(
                        f"{file} has no {', '.join(sorted(missing))} column: the header needs name, lat, lon."
                    )
                loaded = services.load_gazetteer(reader, source=source or file.name)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        except DomainError as error:
            raise CommandError(f"{file}: {error.message} Nothing was loaded.") from None
        self.stdout.write(f"Loaded {loaded:,} places from {file}.")
