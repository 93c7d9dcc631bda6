"""What each upstream host lets the registry send (DESIGN §8): a token bucket per host, when
the operator sets a pace (TMR_UPSTREAM_REQUESTS_PER_SECOND), and what the host itself says is
left: GitHub's ``X-RateLimit-Remaining``/``-Reset`` and the ``RateLimit: r=…;t=…`` field the
Hugging Face hub sends. A host that said nothing is left is not asked again before its reset:
the request waits when the reset is near, and otherwise fails as rate limited without being
sent, so the queue tries the job again later instead of spending a refusal."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping

from app.errors import UpstreamRateLimitedError

_RATELIMIT_FIELD = re.compile(r"\br=(\d+).*?\bt=(\d+)")


class HostBudget:
    def __init__(
        self, host: str, rate: float = 0.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._host = host
        self._rate = rate
        self._clock = clock
        self._tokens = max(1.0, rate)
        self._filled_at = clock()
        #: Monotonic time before which the host has said nothing is left.
        self._dry_until = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self, max_wait: float) -> None:
        """Wait for leave to send one request, or raise if that would take over ``max_wait``."""
        async with self._lock:
            wait = self._dry_until - self._clock()
            if wait > max_wait:
                raise UpstreamRateLimitedError(
                    f"{self._host} said its rate limit is spent", retry_after=wait
                )
            if wait > 0:
                await asyncio.sleep(wait)
            if self._rate <= 0:
                return
            now = self._clock()
            capacity = max(1.0, self._rate)
            self._tokens = min(capacity, self._tokens + (now - self._filled_at) * self._rate)
            self._filled_at = now
            if self._tokens < 1:
                await asyncio.sleep((1 - self._tokens) / self._rate)
                self._tokens, self._filled_at = 1.0, self._clock()
            self._tokens -= 1

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn from an answer's headers (lower-cased names) what the host has left."""
        remaining, seconds = _left(headers)
        if remaining is not None and remaining <= 0 and seconds is not None:
            self._dry_until = max(self._dry_until, self._clock() + seconds)


def _left(headers: Mapping[str, str]) -> tuple[int | None, float | None]:
    """(requests left, seconds until the window resets), as far as the headers say."""
    remaining, reset = headers.get("x-ratelimit-remaining"), headers.get("x-ratelimit-reset")
    if remaining is not None and remaining.isdigit():
        seconds = max(0.0, float(reset) - time.time()) if reset and reset.isdigit() else None
        return int(remaining), seconds
    field = headers.get("ratelimit")
    if field is not None and (found := _RATELIMIT_FIELD.search(field)):
        return int(found[1]), float(found[2])
    return None, None
