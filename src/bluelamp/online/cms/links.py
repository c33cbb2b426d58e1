"""Links an editor may save: a page address (``report/``, ``/news/``), or one of the schemes
Wagtail's own rich text allows (http, https, mailto, tel...). Never ``javascript:`` or ``data:``,
which would run in a visitor's browser on a police website."""

from __future__ import annotations

from html.parser import HTMLParser

from django.core.exceptions import ValidationError
from wagtail.whitelist import check_url

REFUSAL = "Links must be a web address (https://…), an e-mail address (mailto:…) or a page address"


def is_safe_link(url: str) -> bool:
    return check_url(url) is not None


def validate_link(url: str) -> None:
    if url and not is_safe_link(url):
        raise ValidationError(f"{REFUSAL}: {url[:40]!r} is not allowed.")


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name == "href" and value is not None]


def unsafe_links_in(html: str) -> list[str]:
    """Links in rich text that may not be saved (rich text also reaches the database by other
    ways than the editor, which drops them itself)."""
    parser = _Hrefs()
    parser.feed(html or "")
    return [href for href in parser.found if not is_safe_link(href)]
