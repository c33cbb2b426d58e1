"""The JSON API: one NinjaAPI at /api/v1/, a router per system, and the one place where
errors become responses. Every error body has the same shape: {"error": {"code", "message"}}."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Redoc, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from bluelamp import __version__
from bluelamp.business.api import router as business_router
from bluelamp.core.api import router as core_router
from bluelamp.core.errors import DomainError

logger = logging.getLogger(__name__)

api = NinjaAPI(
    title="bluelamp API",
    version="1",
    description="One platform for a police force. Errors always answer "
    '`{"error": {"code": "...", "message": "..."}}` with a meaningful HTTP status.',
    urls_namespace="api",
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


@api.get("/", response=About, summary="What this API is", tags=["platform"])
def about(request: HttpRequest) -> dict[str, str]:
    return {"name": "bluelamp", "version": __version__}


api.add_router("/geography", core_router, tags=["geography"])
api.add_router("/business", business_router, tags=["business"])
