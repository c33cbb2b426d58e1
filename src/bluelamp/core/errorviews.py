"""Error pages that never show a traceback, SQL or settings."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request, so no context processor touches the database (it may be
    # the problem).
    return HttpResponseServerError(loader.render_to_string("core/500.html"))
