"""Platform pages: the home page listing the systems, and the health check."""

from __future__ import annotations

import logging

import psycopg
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from bluelamp.core import health

logger = logging.getLogger(__name__)

# A load balancer gives up on a health check after a few seconds (5 by default on the common
# ones). With PostgreSQL down, a request waits the pool's whole timeout (10 s) for a connection
# that never comes; the health check waits this long, so that it answers 503, not nothing.
HEALTH_CHECK_WAIT_SECONDS = 2.0

# The six systems of DESIGN.md, shown on the home page, with where each starts once it exists.
SYSTEMS = [
    ("Single Online Home", "Report crime and other matters online; one public site per force.", None),
    ("Command and Control", "Contact, grading, the incident log and deploying resources.", None),
    ("POLE and golden nominal", "People, objects, locations and events linked across every record.", None),
    ("Enterprise Data Platform", "Governed access to the force's data: catalogue, DPIA, retention.", None),
    ("Smarter Working", "Officers' mobile devices: register, build, allocation and benefits.", "mobility:register"),
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
    """200 when the database answers, 503 otherwise. For load balancers and monitoring; it also
    says how far behind each consumer of the outbox is, and its last error (a lagging consumer
    does not take the node out of service: the pages still work)."""
    try:
        _select_one()
    except (DatabaseError, psycopg.Error) as error:  # psycopg's own: the pool's timeout is not Django's
        logger.warning("health check: database unreachable: %s", str(error).strip().splitlines()[0:1])
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "consumers": health.consumers_report()})


def _select_one() -> None:
    """``SELECT 1`` on the database; from PostgreSQL's pool, waiting at most
    :data:`HEALTH_CHECK_WAIT_SECONDS` for a connection."""
    pool = getattr(connection, "pool", None)  # Django's pool (PostgreSQL); None on SQLite
    if pool is None or connection.connection is not None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return
    pool.open()  # as Django opens it for the first connection; nothing if it is open already
    with pool.connection(timeout=HEALTH_CHECK_WAIT_SECONDS) as held:
        held.execute("SELECT 1").fetchone()
