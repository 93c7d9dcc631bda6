"""The one mapper from domain errors to HTTP responses."""

from __future__ import annotations

import logging
import math
from typing import Any

from litestar import MediaType, Request, Response
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_424_FAILED_DEPENDENCY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_502_BAD_GATEWAY,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from app.auth.errors import BadCredentialsError, PermissionDeniedError
from app.errors import (
    AppError,
    BackendUnavailableError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    UpstreamError,
    ValidationError,
)
from app.ingest.errors import GateRejectedError, IngestFailedError

log = logging.getLogger(__name__)

#: When a client may try again after a backend outage: each attempt costs the registry a
#: deadline's wait (TMR_BACKEND_TIMEOUT_SECONDS) while the backend is down, so not at once.
BACKEND_RETRY_AFTER_SECONDS = 5

_STATUS: tuple[tuple[type[AppError], int], ...] = (
    (ValidationError, HTTP_400_BAD_REQUEST),
    # the spec: 401 for bad credentials and for a token lacking the permission (reset),
    # 403 for a missing or invalid token
    (BadCredentialsError, HTTP_401_UNAUTHORIZED),
    (PermissionDeniedError, HTTP_401_UNAUTHORIZED),
    (ForbiddenError, HTTP_403_FORBIDDEN),
    (NotFoundError, HTTP_404_NOT_FOUND),
    (ConflictError, HTTP_409_CONFLICT),
    (RateLimitedError, HTTP_429_TOO_MANY_REQUESTS),
    (UpstreamError, HTTP_502_BAD_GATEWAY),
    (BackendUnavailableError, HTTP_503_SERVICE_UNAVAILABLE),
    (GateRejectedError, HTTP_424_FAILED_DEPENDENCY),
    (IngestFailedError, HTTP_500_INTERNAL_SERVER_ERROR),
)


def app_error_to_response(_: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, str]]:
    status = HTTP_503_SERVICE_UNAVAILABLE
    code = "error"
    message = "unexpected error"
    if isinstance(exc, AppError):
        code, message = exc.code, exc.message
        status = next((s for kind, s in _STATUS if isinstance(exc, kind)), status)
    if status >= HTTP_503_SERVICE_UNAVAILABLE:
        log.warning("request failed: %s", message)
    headers = {}
    if isinstance(exc, RateLimitedError):
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    elif isinstance(exc, BackendUnavailableError):
        headers["Retry-After"] = str(BACKEND_RETRY_AFTER_SECONDS)
    return Response(
        {"code": code, "detail": message},
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )


def unexpected_error_to_response(
    _: Request[Any, Any, Any], exc: Exception
) -> Response[dict[str, str]]:
    """A bug: logged in full (Litestar logs nothing outside debug mode), masked for clients."""
    log.error("request failed unexpectedly", exc_info=exc)
    return Response(
        {"code": "internal", "detail": "unexpected error"},
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        media_type=MediaType.JSON,
    )
