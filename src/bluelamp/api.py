"""The JSON API: one NinjaAPI at /api/v1/, a router per system, and the one place where
errors become responses. Every error body has the same shape: {"error": {"code", "message"}}."""

from __future__ import annotations

import logging

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Redoc, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import django_auth

from bluelamp import __version__
from bluelamp.business.api import router as business_router
from bluelamp.control.api import router as control_router
from bluelamp.core.access import ClientActor
from bluelamp.core.api import router as core_router
from bluelamp.core.errors import DomainError
from bluelamp.core.models import Force
from bluelamp.core.tokens import ApiTokenAuth
from bluelamp.dispatch.api import router as dispatch_router
from bluelamp.online.api import router as online_router
from bluelamp.pole.api import router as pole_router

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="bluelamp API",
    version="1",
    description="One platform for a police force. Errors always answer "
    '`{"error": {"code": "...", "message": "..."}}` with a meaningful HTTP status.',
    urls_namespace="api",
    # Machine clients send a bearer token; staff screens use their signed-in session.
    auth=[ApiTokenAuth(), django_auth],
    # Redoc styles itself with inline <style> and renders in a blob: worker.
    docs_decorator=csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]}),
    # Redoc's code samples fail WCAG contrast with its default colours: use GOV.UK's text colour.
    docs=Redoc(settings={"theme": {"typography": {"code": {"color": "#0b0c0c", "backgroundColor": "#f3f2f1"}}}}),
)


def error_response(request: HttpRequest, *, status: int, code: str, message: str, **extra: object) -> HttpResponse:
    body: dict[str, object] = {"code": code, "message": message, **extra}
    return api.create_response(request, {"error": body}, status=status)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    return error_response(request, status=error.status, code=error.code, message=error.message)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
    return error_response(
        request, status=422, code="invalid_input", message="The request is not valid.", details=error.errors
    )


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return error_response(request, status=401, code="unauthenticated", message="Sign in or send a valid API token.")


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    return error_response(request, status=error.status_code, code="http_error", message=str(error))


@api.exception_handler(Exception)
def unexpected_error(request: HttpRequest, error: Exception) -> HttpResponse:
    # Never leak a traceback or SQL; the details go to the server log with the request path.
    logger.exception("unexpected API error on %s", request.path)
    return error_response(request, status=500, code="server_error", message="Something went wrong on our side.")


class About(Schema):
    name: str
    version: str


@api.get("/", response=About, summary="What this API is", tags=["platform"], auth=None)
def about(request: HttpRequest) -> dict[str, str]:
    return {"name": "bluelamp", "version": __version__}


class Me(Schema):
    kind: str
    name: str
    force: str | None


@api.get("/me", response=Me, summary="Who the API thinks you are (user or token)", tags=["platform"])
def me(request: HttpRequest) -> Me:
    actor = request.auth  # type: ignore[attr-defined]
    if isinstance(actor, ClientActor):
        force = Force.objects.filter(pk=actor.force_id or 0).values_list("code", flat=True).first()
        return Me(kind="client", name=actor.name, force=force)
    return Me(kind="user", name=actor.get_username(), force=actor.force.code if actor.force else None)


api.add_router("/geography", core_router, tags=["geography"])
api.add_router("/business", business_router, tags=["business"])
api.add_router("/control", control_router, tags=["control"])
api.add_router("/pole", pole_router, tags=["pole"])
api.add_router("/dispatch", dispatch_router, tags=["dispatch"])
api.add_router("/online", online_router, tags=["online"])


def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Unknown API paths answer in the API's error shape, not with the HTML 404 page."""
    body = {"error": {"code": "not_found", "message": f"There is no API endpoint at {request.path}."}}
    return JsonResponse(body, status=404)
