"""Backend outages, recognised once: a driver error that means "the store did not answer"
becomes :class:`~app.errors.BackendUnavailableError` where a transport or job calls a service.

Why here, and why at the services' boundary: every transport already maps that one domain
error (REST to 503 with ``Retry-After``, GraphQL mutations to their typed
``UnavailableError``, GraphQL queries and the token check to an ``UNAVAILABLE`` error, the
worker to a retry), but none of them may import the drivers (import-linter), and catching
driver errors in every service method would spread this list over the codebase. So the
composition root (``app.resources``) wraps each service once with :func:`guarded`; the
services and repositories stay as they are, and a failure deep inside a call surfaces at its
edge as the domain's own error. The driver's message, which names hosts and ports, goes to
the log, not to clients.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine
from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any, TypeVar, cast

import botocore.exceptions
import pymongo.errors
import redis.exceptions

from app.errors import BackendUnavailableError

if TYPE_CHECKING:
    from app.services import Services

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Driver errors that mean a backend is down, unreachable or past the deadline. Anything
#: else a driver raises (a duplicate key, a bad command) is a bug or a domain matter.
_OUTAGES: tuple[tuple[str, tuple[type[Exception], ...]], ...] = (
    # AutoReconnect, NetworkTimeout, ServerSelectionTimeoutError are ConnectionFailures;
    # ExecutionTimeout and WTimeoutError are the server giving up at our deadline
    (
        "the document store",
        (
            pymongo.errors.ConnectionFailure,
            pymongo.errors.ExecutionTimeout,
            pymongo.errors.WTimeoutError,
        ),
    ),
    (
        "the queue and event store",
        (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError),
    ),
    # EndpointConnectionError, ConnectTimeoutError; ReadTimeoutError, ConnectionClosedError
    ("the blob store", (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)),
)


def outage(exc: BaseException) -> BackendUnavailableError | None:
    """The domain error for a driver failure that is an outage; None for anything else."""
    if isinstance(exc, BackendUnavailableError):
        return exc
    for backend, kinds in _OUTAGES:
        if isinstance(exc, kinds):
            log.warning("%s is unavailable: %s: %s", backend, type(exc).__name__, exc)
            return BackendUnavailableError(f"{backend} is unavailable; try again shortly")
    return None


def guarded(service: T) -> T:
    """``service`` with each public coroutine method and async generator method translating
    outages (see the module's docstring). Everything else is handed through unchanged."""
    return cast("T", _Guarded(service))


def guard_services(services: Services) -> Services:
    return replace(
        services, **{f.name: guarded(getattr(services, f.name)) for f in fields(services)}
    )


class _Guarded:
    __slots__ = ("_target",)

    def __init__(self, target: object) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - whatever the service has
        attr = getattr(self._target, name)
        if name.startswith("_"):
            return attr
        if inspect.isasyncgenfunction(attr):
            return _guard_stream(attr)
        if inspect.iscoroutinefunction(attr):
            return _guard_call(attr)
        return attr

    def __repr__(self) -> str:
        return f"guarded({self._target!r})"


def _guard_call(
    method: Callable[..., Coroutine[Any, Any, Any]],
) -> Callable[..., Coroutine[Any, Any, Any]]:
    @functools.wraps(method)
    async def call(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
        try:
            return await method(*args, **kwargs)
        except Exception as exc:
            translated = outage(exc)
            if translated is None or translated is exc:
                raise
            raise translated from exc

    return call


def _guard_stream(
    method: Callable[..., AsyncGenerator[Any, None]],
) -> Callable[..., AsyncIterator[Any]]:
    @functools.wraps(method)
    async def stream(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:  # noqa: ANN401
        try:
            # aclosing: a consumer that stops early closes the wrapped generator too
            async with contextlib.aclosing(method(*args, **kwargs)) as items:
                async for item in items:
                    yield item
        except Exception as exc:
            translated = outage(exc)
            if translated is None or translated is exc:
                raise
            raise translated from exc

    return stream
