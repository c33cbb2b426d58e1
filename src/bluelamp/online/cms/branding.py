"""The colours a force's site may use: a safe list (data/brand_colours.json), each checked to
keep white header text readable (WCAG 2.2 contrast of at least 4.5:1)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

BRAND_COLOURS_FILE = Path(__file__).resolve().parent / "data" / "brand_colours.json"
MINIMUM_CONTRAST = 4.5
WHITE = "#ffffff"


def _channel(value: int) -> float:
    srgb = value / 255
    return srgb / 12.92 if srgb <= 0.03928 else ((srgb + 0.055) / 1.055) ** 2.4


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of a colour written ``#rrggbb``."""
    text = hex_colour.lstrip("#")
    if len(text) != 6:
        raise ValueError(f"{hex_colour!r} is not a #rrggbb colour.")
    red, green, blue = (int(text[index : index + 2], 16) for index in (0, 2, 4))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@cache
def brand_colours() -> dict[str, dict[str, str]]:
    """The allowed colours by code; a colour that fails the contrast check is refused at start-up."""
    colours = json.loads(BRAND_COLOURS_FILE.read_text(encoding="utf-8"))["colours"]
    allowed: dict[str, dict[str, str]] = {}
    for colour in colours:
        ratio = contrast_ratio(colour["hex"], WHITE)
        if ratio < MINIMUM_CONTRAST:
            raise ValueError(
                f"Brand colour {colour['code']} ({colour['hex']}) gives {ratio:.2f}:1 with white text; "
                f"at least {MINIMUM_CONTRAST}:1 is needed."
            )
        allowed[colour["code"]] = colour
    return allowed


def colour_choices() -> list[tuple[str, str]]:
    return [(code, colour["label"]) for code, colour in brand_colours().items()]
