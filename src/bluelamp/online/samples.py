"""Example answers for every question type, as a browser would POST them: used to walk a
journey end to end in tests, benchmarks and demos without knowing its questions in advance."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bluelamp.online.catalogue import Question

TRAFALGAR_SQUARE = (51.50809, -0.12804)  # Met
BANK_STATION = (51.5133, -0.0890)  # City of London Police


def sample_post(
    question: Question, *, choose: dict[str, str] | None = None, place: tuple[float, float] | None = None
) -> dict[str, Any]:
    """Valid form data for ``question``. ``choose`` picks option values by question id (otherwise
    'yes' for yes/no, so that every branch is asked, and the first option with no signpost)."""
    choose = choose or {}
    kind, qid = question.type, question.id
    if kind in {"radios", "yes_no"}:
        default = "yes" if kind == "yes_no" and not question.option("yes").signpost else None  # type: ignore[union-attr]
        value = choose.get(qid) or default or next(o.value for o in question.options if not o.signpost)
        return {"answer": value}
    if kind == "checkboxes":
        return {"answer": [choose.get(qid) or question.options[0].value]}
    if kind == "date":
        return {f"{qid}-day": "3", f"{qid}-month": "11", f"{qid}-year": "2026"}
    if kind == "time":
        return {"answer": "14:30"}
    if kind == "location":
        lat, lon = place or TRAFALGAR_SQUARE
        return {"address": "Outside the shop on the corner", "lat": str(lat), "lon": str(lon)}
    if kind == "person":
        return {"name": "", "description": f"The {question.role}: about 30, tall, dark green jacket"}
    if kind == "vehicle":
        return {
            f"{qid}-registration": "ab12 cde",
            f"{qid}-make": "Ford",
            f"{qid}-model": "Fiesta",
            f"{qid}-colour": "Blue",
        }
    if kind == "contact":
        return {"name": "Sam Reporter", "email": "sam@example.com", "phone": "07700 900123"}
    if kind == "evidence":
        return {}
    return {"answer": f"Answer to {question.label.lower()}"}


def walk_journey(
    client: Any,
    base: str,
    slug: str,
    *,
    place: tuple[float, float] | None = None,
    choose: dict[str, str] | None = None,
    timed: Callable[[str, str, dict[str, Any] | None], Any] | None = None,
) -> str:
    """Complete journey ``slug`` through the public pages under ``base`` (e.g. /sites/met/report/)
    with a Django test client, as a person's browser would, and return the report's reference.
    ``timed`` (method, url, data) -> response lets a benchmark time each request."""
    from bluelamp.online.catalogue import catalogue

    journey = catalogue().journey(slug)
    if journey is None:
        raise ValueError(f"No journey {slug!r} in the catalogue.")

    def send(method: str, url: str, data: dict[str, Any] | None = None) -> Any:
        response = (
            timed(method, url, data)
            if timed
            else (client.get(url) if method == "get" else client.post(url, data or {}))
        )
        if response.status_code not in (200, 302):
            raise RuntimeError(f"{method.upper()} {url} answered {response.status_code}")
        return response

    send("get", f"{base}{slug}/")
    url = send("post", f"{base}{slug}/", {"danger": "no"})["Location"]
    while not url.endswith("/check/"):
        question = journey.question(url.rstrip("/").rsplit("/", 1)[-1])
        if question is None:
            raise RuntimeError(f"The journey went to {url}, which is not one of its questions.")
        send("get", url)
        url = send("post", url, sample_post(question, choose={"injured": "no", **(choose or {})}, place=place))[
            "Location"
        ]
    page = send("get", url).content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    if key is None:
        raise RuntimeError("The check-your-answers page has no idempotency key.")
    done = send("post", url, {"idempotency_key": key.group(1)})["Location"]
    confirmation = send("get", done).content.decode()
    reference = re.search(r"\b[A-Z]{2,32}-\d{8}-[0-9A-Z]{6}\b", confirmation)
    if reference is None:
        raise RuntimeError("The confirmation page shows no reference.")
    return reference.group(0)
