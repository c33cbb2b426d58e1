"""Recording that someone consulted personal data (DPA 2018 s.62): who, when, which records and,
where the record needs one, why.

- One entry per page shown, listing the ids of the records on it, never one per row: a list of
  fifty contacts costs one row in the audit trail.
- A page that shows nothing consults nothing and records nothing.
- Reads that need a justification (a person's record, an online report) take it from the
  "why do you need this?" step (``core/justification.py``) or the API's ``X-Justification``
  header; the audit trail refuses such a consultation without one."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.http import HttpRequest

from bluelamp.core import audit
from bluelamp.core.access import Actor, request_actor
from bluelamp.core.models import AuditEntry, Force


def _id_of(item: Any) -> Any:
    return getattr(item, "pk", item)


def record_shown(
    *,
    actor: Actor,
    record_type: str,
    shown: Iterable[Any],
    justification: str = "",
    force: Force | None = None,
    **details: Any,
) -> AuditEntry | None:
    """Audit one consultation of the records ``shown`` (model instances or ids) as one entry."""
    ids = list(dict.fromkeys(_id_of(item) for item in shown))
    if not ids:
        return None
    return audit.record(
        operation=audit.Operation.CONSULTATION,
        actor=actor,
        record_type=record_type,
        record_ids=ids,
        force=force,
        justification=justification,
        details=details,
    )


def audited_api_page(record_type: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """For an API list endpoint, above ninja's ``@paginate``: audit the page actually returned
    (its ``items``) as one consultation."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def audited(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            page = view(request, *args, **kwargs)
            items = page.get("items", []) if isinstance(page, dict) else page
            record_shown(actor=request_actor(request), record_type=record_type, shown=items, via="API")
            return page

        return audited

    return decorate
