"""Domain errors: typed exceptions that services raise and that become clear HTTP answers in
one place (``api.py`` for JSON, ``middleware.py`` for pages). A user never sees a traceback."""

from __future__ import annotations


class DomainError(Exception):
    """Something the user can understand and act on. ``code`` is stable for API clients."""

    code = "domain_error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class NotFound(DomainError):
    code = "not_found"
    status = 404


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403


class Conflict(DomainError):
    code = "conflict"
    status = 409


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 422


class OutsideServiceArea(NotFound):
    """A place that no force on this platform polices."""

    code = "outside_service_area"
