"""The names people know a fed event by. A system that feeds POLE keys each event by its own
record's id (``source_id``), known as soon as the record is written; the name people use, such as
a CAD reference, may be given later in the same transaction (the control room numbers an incident
last, to hold the day's CAD counter as briefly as it can). So POLE does not copy the name: it
asks the owning system for it when it shows events, one query per system and force."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bluelamp.pole.models import Event

# A force's id and some source ids → the names people know those records by (those it knows).
Namer = Callable[[int, list[str]], dict[str, str]]
_namers: dict[str, Namer] = {}


def register(source_system: str, namer: Namer) -> None:
    """Let ``namer`` name the events that ``source_system`` feeds."""
    _namers[source_system] = namer


def name_events(events: Iterable[Event]) -> None:
    """Set each event's ``reference``: its owning system's name for it, else its ``source_id``."""
    asking: dict[tuple[str, int], list[Event]] = {}
    for event in events:
        event.reference = event.source_id
        if event.source_system in _namers:
            asking.setdefault((event.source_system, event.force_id), []).append(event)
    for (source_system, force_id), group in asking.items():
        names = _namers[source_system](force_id, [event.source_id for event in group])
        for event in group:
            event.reference = names.get(event.source_id, event.source_id)
