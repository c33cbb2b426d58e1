"""The factory's forecast: with so many devices a working day built and tested, in the queue's
order (priority first), when will each unit have all its devices — and is that before its hard
date (a site closing)? Plain data in and out; ``selectors.factory_board`` feeds it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from bluelamp.core.errors import InvalidInput


@dataclass(frozen=True)
class QueuedWork:
    """A unit's devices still to come out of the factory, in queue order."""

    unit: str
    priority: int
    devices: int
    needed_by: dt.date | None = None


@dataclass(frozen=True)
class UnitForecast:
    unit: str
    devices: int
    done_on: dt.date
    needed_by: dt.date | None

    @property
    def late(self) -> bool:
        return self.needed_by is not None and self.done_on > self.needed_by

    @property
    def days_late(self) -> int:
        return (self.done_on - self.needed_by).days if self.needed_by and self.late else 0


def working_days(start: dt.date) -> Iterator[dt.date]:
    """Monday to Friday from ``start`` on (the factory does not work weekends)."""
    day = start
    while True:
        if day.weekday() < 5:
            yield day
        day += dt.timedelta(days=1)


def forecast(queue: Sequence[QueuedWork], *, capacity_per_day: int, start: dt.date) -> list[UnitForecast]:
    """When each unit's last device is done, filling each working day's capacity in queue order
    (by priority, then as given). A unit finishes on the day its last device is built."""
    if capacity_per_day <= 0:
        raise InvalidInput("The factory has no capacity: add a build station or raise a station's capacity.")
    ordered = sorted(queue, key=lambda work: work.priority)
    results = []
    done = 0
    days = working_days(start)
    day_index, today = 0, next(days)
    for work in ordered:
        done += work.devices
        # The last device of this unit is device number ``done``: on working day ceil(done / capacity).
        finishing_day = max(1, -(-done // capacity_per_day))
        while day_index < finishing_day - 1:
            today, day_index = next(days), day_index + 1
        results.append(UnitForecast(work.unit, work.devices, today, work.needed_by))
    return results


@dataclass(frozen=True)
class Throughput:
    days: int
    built: int
    tested: int

    @property
    def per_day(self) -> float:
        return self.tested / self.days if self.days else 0.0
