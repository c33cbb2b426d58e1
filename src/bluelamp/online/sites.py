"""Which force's public site a request is for.

Each force's site is served on its own hostnames (``met.localhost``) and, for a single-host
install, under ``/sites/<force code>/`` of the staff host. Views never look at either: the
middleware puts the force on ``request.public_force`` and ``site_url`` reverses a public URL in
whichever form the request came in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from bluelamp.core import selectors as core_selectors
from bluelamp.core.models import Force, ForceHostname

PUBLIC_URLCONF = "bluelamp.online.public_urls"
HEALTH_CHECK_PATH = "/healthz"
PATH_PREFIX_KWARG = "force_code"
HOSTNAMES_KEY = "online:hostnames"
_CACHE_SECONDS = 60


def force_for_hostname(host: str) -> Force | None:
    """The force whose public site answers on ``host`` (port ignored), or None for the staff host."""
    hostname = host.rsplit(":", 1)[0].lower() if not host.startswith("[") else host
    force_id = _public_hostnames().get(hostname)
    return core_selectors.force(force_id) if force_id else None


def _public_hostnames() -> dict[str, int]:
    """Every force hostname, read once a minute. Without a database every host is the staff
    host (the page then says the database is down)."""
    found: dict[str, int] | None = cache.get(HOSTNAMES_KEY)
    if found is None:
        try:
            found = dict(ForceHostname.objects.values_list("hostname", "force_id"))
        except DatabaseError:
            return {}
        cache.set(HOSTNAMES_KEY, found, _CACHE_SECONDS)
    return found


def force_for_code(code: str) -> Force | None:
    """The force whose public site is at /sites/<code>/: only a force with a site has one."""
    key = f"online:code:{code}"
    force = cache.get(key)
    if force is None:
        force = Force.objects.filter(code=code, hostnames__isnull=False).first() or 0
        cache.set(key, force, _CACHE_SECONDS)
    return force or None


class PublicSiteMiddleware:
    """Routes a force hostname to the public URLconf and names the force for every view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The health check is the staff host's on every host: it reads nothing before its own
        # SELECT 1, so that with the database down it does not first wait for the hostnames.
        force = None if request.path == HEALTH_CHECK_PATH else force_for_hostname(request.get_host())
        request.public_force = force  # type: ignore[attr-defined]
        request.public_path_prefix = False  # type: ignore[attr-defined]
        if force is not None:
            request.urlconf = PUBLIC_URLCONF
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        # /sites/<force_code>/...: the force comes from the path; views never see the code.
        code = kwargs.pop(PATH_PREFIX_KWARG, None)
        if code is None:
            return None
        force = force_for_code(code)
        if force is None:
            raise Http404("No force has a public site with that code.")
        request.public_force = force  # type: ignore[attr-defined]
        request.public_path_prefix = True  # type: ignore[attr-defined]
        return None


def public_force(request: HttpRequest) -> Force:
    """The force of a public page; 404 when the request did not come through a force site."""
    force: Force | None = getattr(request, "public_force", None)
    if force is None:
        raise Http404("This page belongs to a force's public site.")
    return force


def site_url(request: HttpRequest, name: str, **kwargs: Any) -> str:
    """Reverse a public URL name in the form this request uses (hostname or /sites/<code>/)."""
    if getattr(request, "public_path_prefix", False):
        return reverse(name, kwargs={PATH_PREFIX_KWARG: public_force(request).code, **kwargs})
    return reverse(name, kwargs=kwargs or None, urlconf=PUBLIC_URLCONF)
