"""Schemas shared by every router."""

from typing import Any

from ninja import Schema


class ErrorDetail(Schema):
    code: str
    message: str


class ErrorBody(Schema):
    """The body of every error answer: ``{"error": {"code": ..., "message": ...}}``."""

    error: ErrorDetail


# The error answers an operation declares in the OpenAPI schema: reads, and writes (which may
# also meet a conflict).
ERRORS: dict[int, Any] = {401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody}
WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: ErrorBody}
