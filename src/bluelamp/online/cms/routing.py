"""Links to force pages in the form the visitor is using.

A page's address depends on how its site was reached: ``met.localhost/news/`` on the force's
own hostname, ``/sites/met/news/`` on a single host. Wagtail works out page URLs from its Site
records (hostnames only), so force pages compute their own, from the request being served.
Rich text renders links without a request, so the page being served is kept in a context
variable for the length of the response.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.http import HttpRequest
from django.urls import reverse

from bluelamp.online.sites import PUBLIC_URLCONF, site_url

PAGE_URL_NAME = "online_cms:page"
_serving: ContextVar[HttpRequest | None] = ContextVar("bluelamp_cms_serving", default=None)


@contextmanager
def serving(request: HttpRequest) -> Iterator[None]:
    token = _serving.set(request)
    try:
        yield
    finally:
        _serving.reset(token)


def current_request(request: object = None) -> HttpRequest | None:
    """The request a link is for: the one given, else the one being served (if any)."""
    if isinstance(request, HttpRequest) and getattr(request, "public_force", None) is not None:
        return request
    return _serving.get()


def page_path(request: HttpRequest, relative: str) -> str:
    """The path of a force page (``relative`` to its site root) for this request."""
    return site_url(request, PAGE_URL_NAME, path=relative)


def canonical_path(relative: str) -> str:
    """The path of a force page on the force's own hostname."""
    return reverse(PAGE_URL_NAME, kwargs={"path": relative}, urlconf=PUBLIC_URLCONF)
