from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bluelamp.core import services
from bluelamp.core.errors import DomainError


class Command(BaseCommand):
    help = "Load forces, BCUs and borough boundaries (defaults: the London files shipped with bluelamp)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--boundaries", type=Path, default=services.LONDON_BOUNDARIES, help="GeoJSON file")
        parser.add_argument("--areas", type=Path, default=services.LONDON_AREAS, help="areas JSON file")

    def handle(self, *args: Any, boundaries: Path, areas: Path, **options: Any) -> None:
        try:
            loaded = services.load_geography(boundaries=boundaries, areas=areas)
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"Loaded {loaded.forces} forces, {loaded.bcus} BCUs and {loaded.boroughs} boroughs.")
