"""Domain errors. App code raises these; one API exception handler renders the envelope.

Each carries a stable machine-readable ``code`` (e.g. ``application_exists``) and an HTTP
status. Apps subclass them in their own ``exceptions.py``.
"""

from typing import Any


class ApplicationError(Exception):
    status_code = 400
    code = "invalid"
    message = "The request could not be completed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.fields = fields or {}
        super().__init__(self.message)


class NotFound(ApplicationError):
    status_code = 404
    code = "not_found"
    message = "Not found."


class PermissionDenied(ApplicationError):
    status_code = 403
    code = "permission_denied"
    message = "You do not have permission to perform this action."


class Conflict(ApplicationError):
    status_code = 409
    code = "conflict"
    message = "The request conflicts with the current state."
