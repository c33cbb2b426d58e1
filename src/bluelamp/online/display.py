"""Answers in words, for 'Check your answers' and the reporter's own view."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bluelamp.online.catalogue import Question


def _size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}MB" if size >= 1024 * 1024 else f"{max(size // 1024, 1)}KB"


def answer_lines(question: Question, value: Any) -> list[str]:
    """The answer as lines of text ('Not given' when empty)."""
    if value in (None, "", [], {}):
        return ["None" if question.type == "evidence" else "Not given"]
    kind = question.type
    if kind in {"radios", "yes_no"}:
        option = question.option(str(value))
        return [option.label if option else str(value)]
    if kind == "checkboxes":
        return [option.label for v in value if (option := question.option(v))]
    if kind == "date":
        return [f"{dt.date.fromisoformat(value):%-d %B %Y}"]
    if kind == "location":
        lines = [line for line in str(value.get("address", "")).splitlines() if line.strip()]
        if value.get("lat") is not None:
            lines.append(f"Map position {value['lat']:.5f}, {value['lon']:.5f}")
        return lines
    if kind == "person":
        return [line for line in (value.get("name", ""), value.get("description", "")) if line]
    if kind == "vehicle":
        parts = [value.get(k, "") for k in ("registration", "colour", "make", "model")]
        return [" ".join(p for p in parts if p)]
    if kind == "contact":
        return [line for line in (value.get("name", ""), value.get("email", ""), value.get("phone", "")) if line]
    if kind == "evidence":
        return [f"{f['name']} ({_size(int(f['size']))})" for f in value]
    return [line for line in str(value).splitlines() if line.strip()] or [str(value)]
