"""Example answers for every question type, as a browser would POST them: used to walk a
journey end to end in tests, benchmarks and demos without knowing its questions in advance."""

from __future__ import annotations

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
