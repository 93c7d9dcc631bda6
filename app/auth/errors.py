from __future__ import annotations

from app.errors import AppError, ForbiddenError


class AuthenticationError(ForbiddenError):
    """A missing, unknown, expired, exhausted or revoked token."""

    code = "unauthenticated"


class BadCredentialsError(AppError):
    code = "bad_credentials"

    def __init__(self) -> None:
        super().__init__("the user or password is invalid")


class PermissionDeniedError(ForbiddenError):
    code = "permission_denied"
