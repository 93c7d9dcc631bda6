"""The one mapper from domain errors to the queue's retry decisions."""

from __future__ import annotations

from arq import Retry

from app.errors import AppError, UpstreamRateLimitedError

MAX_DEFER_SECONDS = 300.0


def to_retry(exc: AppError, job_try: int) -> Retry:
    """A retryable error becomes an arq Retry: after the server's Retry-After when it gave
    one, else exponential backoff."""
    if isinstance(exc, UpstreamRateLimitedError) and exc.retry_after is not None:
        delay = exc.retry_after
    else:
        delay = float(2**job_try)
    return Retry(defer=min(delay, MAX_DEFER_SECONDS))
