from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bluelamp.core import selectors
from bluelamp.core.errors import DomainError
from bluelamp.core.geography import from_bng, to_bng


class Command(BaseCommand):
    help = "Say which force, BCU and borough a point is in. Give LAT LON, or --bng EASTING NORTHING."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("coordinates", nargs=2, type=float, metavar="N")
        parser.add_argument("--bng", action="store_true", help="the numbers are an easting and northing")

    def handle(self, *args: Any, coordinates: list[float], bng: bool, **options: Any) -> None:
        try:
            lat, lon = from_bng(*coordinates) if bng else coordinates
            area = selectors.locate(lat=lat, lon=lon)
            easting, northing = to_bng(lat, lon)
        except DomainError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"{lat:.6f}, {lon:.6f} (BNG {easting:.0f} {northing:.0f})")
        self.stdout.write(f"force:   {area.force_name}")
        if area.bcu_name:
            self.stdout.write(f"BCU:     {area.bcu_name}")
        if area.borough_name:
            self.stdout.write(f"borough: {area.borough_name} ({area.borough_gss})")
