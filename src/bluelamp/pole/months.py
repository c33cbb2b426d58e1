"""Calendar months, for "the last 12 months" and review dates (no third-party date library)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import TypeVar

D = TypeVar("D", dt.date, dt.datetime)


def add_months(when: D, months: int) -> D:
    """``when`` moved by whole calendar months; the day is clipped to the month's last day
    (31 March + 1 month = 30 April), as people count months."""
    index = when.year * 12 + (when.month - 1) + months
    year, month = divmod(index, 12)
    day = min(when.day, calendar.monthrange(year, month + 1)[1])
    return when.replace(year=year, month=month + 1, day=day)
