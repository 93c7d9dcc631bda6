"""The one error vocabulary of the domain.

Errors carry a stable ``code`` and a message for people; transports map them once each
(REST to status codes, GraphQL to error types, workers to retry-or-fail).
"""

from __future__ import annotations


class AppError(Exception):
    code = "error"
    #: True when trying the same thing again later may succeed.
    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(AppError):
    code = "not_found"


class ConflictError(AppError):
    code = "conflict"


class ValidationError(AppError):
    code = "validation"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ForbiddenError(AppError):
    code = "forbidden"


class UpstreamError(AppError):
    """A failure talking to Hugging Face or GitHub."""

    code = "upstream"


class UpstreamNotFoundError(UpstreamError):
    code = "upstream_not_found"


class UpstreamGatedError(UpstreamError):
    code = "upstream_gated"


class UpstreamRateLimitedError(UpstreamError):
    code = "upstream_rate_limited"
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UpstreamUnavailableError(UpstreamError):
    code = "upstream_unavailable"
    retryable = True


class ContentMismatchError(AppError):
    """Bytes streamed into the blob store were not the content expected: nothing was stored."""

    code = "content_mismatch"

    def __init__(self, key: str, expected: str, found: str) -> None:
        super().__init__(f"blob {key}: expected sha256 {expected}, received {found}")
        self.found = found


class BackendUnavailableError(AppError):
    """A store the registry depends on (documents, blobs, queue) failed."""

    code = "backend_unavailable"
    retryable = True


class RateLimitedError(AppError):
    """Too many attempts: the caller may try again after ``retry_after`` seconds."""

    code = "rate_limited"
    retryable = True

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class MetricUnavailableError(UpstreamRateLimitedError):
    """A metric could not be computed because upstream was unavailable (a rate limit, 5xx, a
    timeout, a lost connection). That is no verdict on the model: the ingest is retried and,
    if upstream stays away, fails as ``upstream_unavailable``. It extends the rate-limited
    error only so that the queue waits as long as the hub asked (``retry_after``; None: the
    queue's own backoff)."""

    code = "upstream_unavailable"
