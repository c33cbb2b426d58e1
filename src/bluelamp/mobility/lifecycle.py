"""The device lifecycle as data (``data/lifecycle.json``): the states and the moves allowed from
each. Loaded and checked in one place; services ask :func:`check_move` before every move."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bluelamp.core.errors import Conflict, InvalidInput

LIFECYCLE_FILE = Path(__file__).resolve().parent / "data" / "lifecycle.json"

# States in which a device is out with a person or may be: the officer app may sign in only
# from an issued device.
LOST_STATES = frozenset({"lost", "stolen"})
GONE_STATES = frozenset({"lost", "stolen", "wiped", "disposed"})


class MoveNotAllowed(Conflict):
    """A lifecycle move the rules do not allow from the device's present state."""

    code = "move_not_allowed"


@dataclass(frozen=True)
class State:
    code: str
    name: str
    moves: tuple[str, ...]


@cache
def states() -> dict[str, State]:
    """Every state by code, in lifecycle order; refuses a file whose moves name no state."""
    spec = json.loads(LIFECYCLE_FILE.read_text(encoding="utf-8"))["states"]
    found = {item["code"]: State(item["code"], item["name"], tuple(item["moves"])) for item in spec}
    for state in found.values():
        unknown = set(state.moves) - set(found)
        if unknown:
            raise InvalidInput(f"{LIFECYCLE_FILE}: {state.code} moves to unknown states {sorted(unknown)}.")
    return found


def name_of(code: str) -> str:
    state = states().get(code)
    return state.name if state else code


def check_move(from_state: str, to_state: str) -> None:
    """Raise :class:`MoveNotAllowed`, saying what is allowed, unless the rules allow the move."""
    allowed = states()[from_state].moves
    if to_state not in allowed:
        options = ", ".join(name_of(code) for code in allowed) or "nothing: this is the end of its life"
        raise MoveNotAllowed(
            f"A device that is {name_of(from_state).lower()} cannot become {name_of(to_state).lower()}. "
            f"From {name_of(from_state).lower()} it may become: {options}."
        )
