"""Serving a force's Wagtail pages by force, not by Wagtail's hostname matching, so the same
page answers at ``met.localhost/news/`` and at ``/sites/met/news/``."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import SimpleTemplateResponse
from django.views.decorators.http import require_GET
from wagtail import hooks

from bluelamp.online.cms import routing, selectors
from bluelamp.online.sites import public_force


@require_GET
def serve_page(request: HttpRequest, path: str = "") -> HttpResponse:
    home = selectors.home_for_force(public_force(request))
    if home is None:
        raise Http404("This force has no pages yet.")
    components = [component for component in path.split("/") if component]
    with routing.serving(request):
        page, args, kwargs = home.route(request, components)
        for hook in hooks.get_hooks("before_serve_page"):
            result = hook(page, request, args, kwargs)
            if isinstance(result, HttpResponse):
                return result
        response: HttpResponse = page.serve(request, *args, **kwargs)
        if isinstance(response, SimpleTemplateResponse):
            response.render()  # while links still know which form of address to use
    return response
