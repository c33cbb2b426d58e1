"""Platform pages: the home page listing the systems, and the health check."""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

# The six systems of DESIGN.md, shown on the home page, with where each starts once it exists.
SYSTEMS = [
    ("Single Online Home", "Report crime and other matters online; one public site per force.", None),
    ("Command and Control", "Contact, grading, the incident log and deploying resources.", None),
    ("POLE and golden nominal", "People, objects, locations and events linked across every record.", None),
    ("Enterprise Data Platform", "Governed access to the force's data: catalogue, DPIA, retention.", None),
    ("Smarter Working", "Officers' mobile devices: register, build, allocation and benefits.", None),
    ("Met Business Services", "HR, finance and commercial: the workforce record and skills so far.", "business:people"),
]


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    systems = [{"name": name, "summary": summary, "url": url and reverse(url)} for name, summary, url in SYSTEMS]
    return render(request, "core/home.html", {"systems": systems})


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "core/accessibility.html")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 otherwise. For load balancers and monitoring."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("health check: database unreachable: %s", str(error).strip().splitlines()[0:1])
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
