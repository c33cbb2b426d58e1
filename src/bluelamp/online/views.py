"""Public pages of a force's site."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from bluelamp.online.sites import public_force


@require_GET
def report_index(request: HttpRequest) -> HttpResponse:
    return render(request, "online/report_index.html", {"force": public_force(request)})
