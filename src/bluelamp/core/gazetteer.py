"""Finding a place by what a caller says ("Baker St, Westminster"): the normalisation shared by
the loader and the search, so that both sides of a comparison are written the same way."""

from __future__ import annotations

import re

# What people abbreviate when they type an address in a hurry.
ABBREVIATIONS = {
    "st": "street",
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "ln": "lane",
    "cl": "close",
    "ct": "court",
    "cres": "crescent",
    "dr": "drive",
    "gdns": "gardens",
    "gr": "grove",
    "pl": "place",
    "sq": "square",
    "ter": "terrace",
    "terr": "terrace",
    "stn": "station",
}
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lower-case words with abbreviations spelt out: "Baker St." -> ["baker", "street"]."""
    return [ABBREVIATIONS.get(word, word) for word in _WORD.findall(text.lower().replace("'", ""))]


def search_key(name: str, locality: str = "") -> str:
    """The words of a place, each after a space, so that " bak" finds the start of a word."""
    return "".join(f" {word}" for word in words(f"{name} {locality}"))


def word_start(word: str) -> str:
    """What a search key holds where one of its words starts with ``word``."""
    return f" {word}"
