"""The service catalogue: report journeys as data (``data/catalogue.json``).

A journey is a list of questions, one per page, each with a type, its validation and an
optional condition (``show_if``) on an earlier answer. An option of a choice question may map
the report to an NSIR opening category (and qualifiers), a Home Office Counting Rules class,
or stop the journey with a signpost (fraud → Action Fraud). The file is checked when it is
loaded: a mistake names the journey and question and says what to change, so a national
administrator can extend the catalogue without code (``bluelamp online-catalogue check``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from bluelamp.control import rules
from bluelamp.core.errors import InvalidInput

SHIPPED_FILE = Path(__file__).resolve().parent / "data" / "catalogue.json"
QUESTION_TYPES = frozenset(
    {"text", "textarea", "radios", "checkboxes", "date", "time", "location", "person", "vehicle", "yes_no",
     "contact", "evidence"}
)  # fmt: skip
CHOICE_TYPES = frozenset({"radios", "checkboxes", "yes_no"})
# Path segments the report pages use themselves: no journey or question may take them.
RESERVED_SLUGS = frozenset({"track", "privacy", "check", "done", "emergency", "advice", "outside-area", "other-force"})
YES_NO = ({"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"})


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    hint: str = ""
    nsir: dict[str, Any] | None = None
    hocr: str = ""
    signpost: str = ""


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    label: str
    hint: str = ""
    required: bool = True
    max_length: int = 0
    not_future: bool = False
    role: str = ""
    options: tuple[Option, ...] = ()
    show_if: dict[str, Any] | None = None
    error: str = ""  # the message when a required answer is missing (a default is made from the label)

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)

    def shown(self, answers: dict[str, Any]) -> bool:
        if not self.show_if:
            return True
        given = answers.get(self.show_if["question"])
        if "equals" in self.show_if:
            return bool(given == self.show_if["equals"])
        wanted = set(self.show_if["in"])
        return bool(set(given) & wanted) if isinstance(given, list) else given in wanted


@dataclass(frozen=True)
class Signpost:
    slug: str
    title: str
    paragraphs: tuple[str, ...]
    link: dict[str, str] | None = None


@dataclass(frozen=True)
class Journey:
    slug: str
    title: str
    summary: str
    questions: tuple[Question, ...]
    nsir: dict[str, Any]
    anonymous_allowed: bool = False
    description_from: str = ""

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def visible(self, answers: dict[str, Any]) -> list[Question]:
        """The questions this person is asked, given their answers so far."""
        return [q for q in self.questions if q.shown(answers)]

    def classification(self, answers: dict[str, Any]) -> tuple[str, list[str], str]:
        """(NSIR category, qualifiers, Home Office Counting Rules class) for these answers."""
        category, qualifiers, hocr = self.nsir["category"], list(self.nsir.get("qualifiers", [])), ""
        for question in self.visible(answers):
            if question.type not in {"radios", "yes_no"}:
                continue
            chosen = question.option(str(answers.get(question.id, "")))
            if chosen and chosen.nsir:
                category = chosen.nsir["category"]
                qualifiers = list(chosen.nsir.get("qualifiers", []))
            if chosen and chosen.hocr:
                hocr = chosen.hocr
        return category, qualifiers, hocr


@dataclass(frozen=True)
class Catalogue:
    journeys: dict[str, Journey]
    signposts: dict[str, Signpost] = field(default_factory=dict)

    def journey(self, slug: str) -> Journey | None:
        return self.journeys.get(slug)


def _fail(where: str, message: str) -> InvalidInput:
    return InvalidInput(f"Catalogue, {where}: {message}")


def _text(raw: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise _fail(where, f'"{key}" must be {"a non-empty" if required else "a"} string.')
    return value


def _nsir(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("category"), str):
        raise _fail(where, '"nsir" must be {"category": "<NSIR code>", "qualifiers": [...]}.')
    qualifiers = raw.get("qualifiers", [])
    try:
        rules.check_category(raw["category"], list(qualifiers))
    except InvalidInput as error:
        raise _fail(where, error.message) from None
    return {"category": raw["category"], "qualifiers": list(qualifiers)}


def _options(raw: dict[str, Any], kind: str, where: str, signposts: dict[str, Signpost]) -> tuple[Option, ...]:
    items = raw.get("options", list(YES_NO) if kind == "yes_no" else None)
    if kind not in CHOICE_TYPES:
        if "options" in raw:
            raise _fail(where, f'a "{kind}" question has no "options".')
        return ()
    if not isinstance(items, list) or len(items) < 2:
        raise _fail(where, 'a choice question needs "options": at least two of {"value", "label"}.')
    options = []
    for number, item in enumerate(items, start=1):
        at = f"{where}, option {number}"
        if not isinstance(item, dict):
            raise _fail(at, "each option must be an object.")
        unknown = set(item) - {"value", "label", "hint", "nsir", "hocr", "signpost"}
        if unknown:
            raise _fail(at, f"unknown keys {sorted(unknown)}.")
        signpost = item.get("signpost", "")
        if signpost and signpost not in signposts:
            raise _fail(at, f'signpost "{signpost}" is not in "signposts".')
        options.append(
            Option(
                value=_text(item, "value", at),
                label=_text(item, "label", at),
                hint=_text(item, "hint", at, required=False),
                nsir=_nsir(item["nsir"], at) if "nsir" in item else None,
                hocr=_text(item, "hocr", at, required=False),
                signpost=signpost,
            )
        )
    if kind == "yes_no" and [o.value for o in options] != ["yes", "no"]:
        raise _fail(where, 'a "yes_no" question\'s options must be "yes" then "no".')
    if len({o.value for o in options}) != len(options):
        raise _fail(where, "two options have the same value.")
    return tuple(options)


QUESTION_KEYS = {"id", "type", "label", "hint", "required", "max_length", "not_future", "role", "options", "show_if",
                 "error"}  # fmt: skip


def _question(raw: Any, where: str, earlier: dict[str, Question], signposts: dict[str, Signpost]) -> Question:
    if not isinstance(raw, dict):
        raise _fail(where, "each question must be an object.")
    unknown = set(raw) - QUESTION_KEYS
    if unknown:
        raise _fail(where, f"unknown keys {sorted(unknown)}: use {sorted(QUESTION_KEYS)}.")
    question_id = _text(raw, "id", where)
    where = f"{where} ({question_id})"
    if not question_id.replace("_", "").isalnum() or not question_id.islower() or question_id in RESERVED_SLUGS:
        raise _fail(where, "an id is lower-case letters, digits and underscores, and not a reserved word.")
    kind = _text(raw, "type", where)
    if kind not in QUESTION_TYPES:
        raise _fail(where, f'type "{kind}" is not known: use one of {", ".join(sorted(QUESTION_TYPES))}.')
    show_if = raw.get("show_if")
    if show_if is not None:
        if not isinstance(show_if, dict) or ("equals" in show_if) == ("in" in show_if):
            raise _fail(where, '"show_if" is {"question": "<earlier id>", "equals": "<value>"} or with "in": [...].')
        before = earlier.get(show_if.get("question", ""))
        if before is None:
            raise _fail(where, f'"show_if" names "{show_if.get("question")}", which is not an earlier question.')
        values = [show_if["equals"]] if "equals" in show_if else show_if["in"]
        known = {o.value for o in before.options}
        if not known or not set(values) <= known:
            raise _fail(where, f'"show_if" values {values} are not options of "{before.id}".')
    max_length = raw.get("max_length", 0)
    if not isinstance(max_length, int) or max_length < 0:
        raise _fail(where, '"max_length" must be a whole number.')
    return Question(
        id=question_id,
        type=kind,
        label=_text(raw, "label", where),
        hint=_text(raw, "hint", where, required=False),
        required=bool(raw.get("required", True)),
        max_length=max_length,
        not_future=bool(raw.get("not_future", False)),
        role=_text(raw, "role", where, required=False),
        options=_options(raw, kind, where, signposts),
        show_if=show_if,
        error=_text(raw, "error", where, required=False),
    )


def _journey(raw: Any, number: int, blocks: dict[str, Any], signposts: dict[str, Signpost]) -> Journey:
    where = f"journey {number}"
    if not isinstance(raw, dict):
        raise _fail(where, "each journey must be an object.")
    slug = _text(raw, "slug", where)
    where = f'journey "{slug}"'
    if not slug.replace("-", "").isalnum() or not slug.islower() or slug in RESERVED_SLUGS:
        raise _fail(where, "a slug is lower-case letters, digits and hyphens, and not a reserved word.")
    questions: dict[str, Question] = {}
    raw_questions = raw.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise _fail(where, 'needs a non-empty "questions" list.')
    for position, item in enumerate(raw_questions, start=1):
        if isinstance(item, dict) and "use" in item:
            if item["use"] not in blocks:
                raise _fail(f"{where}, question {position}", f'block "{item["use"]}" is not in "blocks".')
            item = {**blocks[item["use"]], **{k: v for k, v in item.items() if k != "use"}}
        question = _question(item, f"{where}, question {position}", questions, signposts)
        if question.id in questions:
            raise _fail(where, f'two questions have the id "{question.id}".')
        questions[question.id] = question
    contacts = [q for q in questions.values() if q.type == "contact"]
    if len(contacts) != 1:
        raise _fail(where, 'needs exactly one "contact" question (how to reach the reporter).')
    anonymous = bool(raw.get("anonymous_allowed", False))
    if not anonymous and contacts[0].show_if:
        raise _fail(where, 'the contact question may depend on an answer only when "anonymous_allowed" is true.')
    if not any(q.type == "location" for q in questions.values()):
        raise _fail(where, 'needs a "location" question: reports are routed by place.')
    description_from = raw.get("description_from", "")
    if description_from and description_from not in questions:
        raise _fail(where, f'"description_from" names "{description_from}", which is not a question.')
    return Journey(
        slug=slug,
        title=_text(raw, "title", where),
        summary=_text(raw, "summary", where),
        questions=tuple(questions.values()),
        nsir=_nsir(raw.get("nsir"), where),
        anonymous_allowed=anonymous,
        description_from=description_from,
    )


def parse(data: Any) -> Catalogue:
    """Check a catalogue (already decoded JSON) and build it; :class:`InvalidInput` names the mistake."""
    if not isinstance(data, dict) or not isinstance(data.get("journeys"), list):
        raise _fail("top level", 'needs a "journeys" list.')
    signposts: dict[str, Signpost] = {}
    for slug, raw in (data.get("signposts") or {}).items():
        where = f'signpost "{slug}"'
        if not isinstance(raw, dict) or not isinstance(raw.get("paragraphs"), list):
            raise _fail(where, 'needs "title" and a "paragraphs" list.')
        link = raw.get("link")
        if link is not None and not (isinstance(link, dict) and str(link.get("href", "")).startswith("https://")):
            raise _fail(where, '"link" is {"href": "https://…", "text": "…"}.')
        signposts[slug] = Signpost(slug, _text(raw, "title", where), tuple(map(str, raw["paragraphs"])), link)
    blocks = data.get("blocks") or {}
    journeys: dict[str, Journey] = {}
    for number, raw in enumerate(data["journeys"], start=1):
        journey = _journey(raw, number, blocks, signposts)
        if journey.slug in journeys:
            raise _fail(f'journey "{journey.slug}"', "two journeys have this slug.")
        journeys[journey.slug] = journey
    return Catalogue(journeys, signposts)


def load(path: Path) -> Catalogue:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"There is no catalogue file at {path}.") from None
    except json.JSONDecodeError as error:
        raise InvalidInput(
            f"{path} is not valid JSON: line {error.lineno}, column {error.colno}: {error.msg}."
        ) from None
    return parse(data)


def installed_file() -> Path:
    """Where a national administrator's catalogue is installed (it replaces the shipped one)."""
    return Path(settings.BASE_DIR) / "var" / "online" / "catalogue.json"


_loaded: dict[tuple[str, float], Catalogue] = {}


def catalogue() -> Catalogue:
    """The catalogue in force: the installed one if there is one, else the shipped file. Read
    again when the file changes."""
    path = installed_file()
    if not path.exists():
        path = SHIPPED_FILE
    key = (str(path), path.stat().st_mtime)
    if key not in _loaded:
        _loaded.clear()
        _loaded[key] = load(path)
    return _loaded[key]
