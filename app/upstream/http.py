"""HTTP to upstream hubs: bounded retries that honour ``Retry-After``, and a bound on what
each upstream host sees from this process. One :class:`UpstreamHttp` (one connection pool)
lives per process; ingests reach it through their own sessions (``app.upstream.session``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from app.errors import UpstreamRateLimitedError, UpstreamUnavailableError
from app.observability.upstream import upstream_trace_config

log = logging.getLogger(__name__)

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_BASE_BACKOFF_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes
    #: The decoded JSON body, once asked for: a cached answer serves many ingests, and a
    #: repo's commit list takes longer to decode than to score.
    _decoded: list[Any] = field(default_factory=list, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300  # noqa: PLR2004

    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:  # noqa: ANN401 - JSON is untyped
        """The body as JSON, decoded once; shared by every reader, so read-only. Raises
        ValueError when the body is not JSON."""
        if not self._decoded:
            self._decoded.append(json.loads(self.content))
        return self._decoded[0]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 3
    #: A server asking us to wait longer than this gets a rate-limited error instead; the
    #: queue then retries the whole job later rather than holding a worker slot.
    max_retry_after: float = 30.0


class UpstreamHttp:
    def __init__(
        self, client: aiohttp.ClientSession, policy: RetryPolicy, *, max_per_host: int = 100
    ) -> None:
        self._client = client
        self._policy = policy
        self._max_per_host = max_per_host
        # Many ingests share one process: bound what each upstream host sees from us.
        self._per_host: dict[str, asyncio.Semaphore] = {}

    def _slot(self, url: str) -> asyncio.Semaphore:
        host = _host(url)
        if host not in self._per_host:
            self._per_host[host] = asyncio.Semaphore(self._max_per_host)
        return self._per_host[host]

    async def get(self, url: str, headers: Mapping[str, str]) -> Fetched:
        """GET with retries on connection errors, 5xx and rate limits. Any other status is
        returned as is, for the caller to interpret."""
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= self._policy.max_attempts
            try:
                async with self._slot(url), self._client.get(url, headers=dict(headers)) as r:
                    body = await r.read()
                    fetched = Fetched(
                        url, r.status, {k.lower(): v for k, v in r.headers.items()}, body
                    )
            except (aiohttp.ClientError, TimeoutError) as exc:
                if last:
                    raise UpstreamUnavailableError(f"{_host(url)} unreachable: {exc!r}") from exc
                await asyncio.sleep(_backoff(attempt))
                continue
            wait = _rate_limit_wait(fetched)
            if wait is None and fetched.status not in _RETRY_STATUSES:
                return fetched
            delay = _backoff(attempt) if wait is None else wait
            if wait is not None and (last or wait > self._policy.max_retry_after):
                raise UpstreamRateLimitedError(
                    f"{_host(url)} is rate limiting requests", retry_after=wait
                )
            if last:
                raise UpstreamUnavailableError(f"{_host(url)} answered {fetched.status}")
            log.info("retrying %s after %s in %.2fs", url, fetched.status, delay)
            await asyncio.sleep(delay)


@asynccontextmanager
async def open_upstream_http(
    policy: RetryPolicy, *, timeout_seconds: float, max_per_host: int = 100
) -> AsyncIterator[UpstreamHttp]:
    """One connection pool for the process. aiohttp rather than httpx here: measured on this
    path, httpx spends about 7 ms of CPU per request at 50 concurrent requests (its pool scans
    every connection per request), aiohttp 0.35 ms; with ~30 requests per ingest that decides
    how many ingests a worker can run at once."""
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=max_per_host)
    async with aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout_seconds),
        headers={"User-Agent": "trustworthy-model-registry/0.1"},
        raise_for_status=False,
        trace_configs=[upstream_trace_config()],  # every request and hop, in /metrics
    ) as client:
        yield UpstreamHttp(client, policy, max_per_host=max_per_host)


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


def _backoff(attempt: int) -> float:
    return float(_BASE_BACKOFF_SECONDS * 2 ** (attempt - 1))


def _rate_limit_wait(fetched: Fetched) -> float | None:
    """Seconds the server asks us to wait, or None if this is not a rate-limit answer."""
    headers = fetched.headers
    retry_after = headers.get("retry-after")
    if retry_after is not None and fetched.status in {429, 403, 503}:
        return _parse_retry_after(retry_after)
    if fetched.status == 429:  # noqa: PLR2004
        return _BASE_BACKOFF_SECONDS
    # GitHub's primary rate limit: 403/429 with the remaining budget at zero.
    if fetched.status == 403 and headers.get("x-ratelimit-remaining") == "0":  # noqa: PLR2004
        reset = headers.get("x-ratelimit-reset")
        return max(0.0, float(reset) - time.time()) if reset and reset.isdigit() else 60.0
    return None


def _parse_retry_after(value: str) -> float:
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return _BASE_BACKOFF_SECONDS
