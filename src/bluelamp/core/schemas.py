"""Schemas shared by every router."""

from ninja import Schema


class ErrorDetail(Schema):
    code: str
    message: str


class ErrorBody(Schema):
    """The body of every error answer: ``{"error": {"code": ..., "message": ...}}``."""

    error: ErrorDetail
