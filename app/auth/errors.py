from __future__ import annotations

from app.errors import AppError, ForbiddenError, RateLimitedError


class AuthenticationError(ForbiddenError):
    """A missing, unknown, expired, exhausted or revoked token."""

    code = "unauthenticated"


class BadCredentialsError(AppError):
    code = "bad_credentials"

    def __init__(self) -> None:
        super().__init__("the user or password is invalid")


class PermissionDeniedError(ForbiddenError):
    code = "permission_denied"


class LoginThrottledError(RateLimitedError):
    """Too many login attempts from one client or for one user name."""

    code = "login_rate_limited"


class LoginsBusyError(RateLimitedError):
    """Every password-hashing slot is taken: refused at once rather than queued."""

    code = "logins_busy"

    def __init__(self, *, retry_after: float) -> None:
        super().__init__(
            "too many logins are being checked; try again shortly", retry_after=retry_after
        )
