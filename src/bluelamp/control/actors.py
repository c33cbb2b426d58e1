"""Who is acting, as the control room's writes need it: the user (or none for automation),
the label written in logs, and their force. Writes only ever go to the actor's own force."""

from __future__ import annotations

import json
from typing import Any

from bluelamp.core import audit
from bluelamp.core import selectors as core_selectors
from bluelamp.core.access import Actor
from bluelamp.core.errors import NotFound, PermissionDenied
from bluelamp.core.models import Force, User


def actor_user(actor: Actor | None) -> User | None:
    return actor if isinstance(actor, User) else None


def actor_label(actor: Actor | None) -> str:
    if isinstance(actor, User):
        return actor.get_username()
    return "system" if actor is None else str(actor)


def actor_force(actor: Actor) -> Force:
    if actor.force_id is None:
        raise PermissionDenied("Only members of a force (or its API clients) can take contacts.")
    return core_selectors.force(actor.force_id)


def own_force(actor: Actor, force_id: int) -> None:
    """Writes only ever go to the actor's own force; another force's records are not there."""
    if actor.force_id != force_id:
        raise NotFound("No such record in your force.")


def json_safe(value: Any) -> Any:
    """What a JSON field hands back after a round trip (dates become strings)."""
    return json.loads(audit.canonical_json(value))
