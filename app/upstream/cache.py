"""Upstream answers shared between the ingests of one process.

Many models link the same datasets and code repositories, and a burst of ingests (a family of
fine-tunes, a re-scoring) asks for them all at once. Without sharing, every ingest re-reads
them, which costs upstream rate limit (GitHub allows 60 anonymous requests an hour) and the
worker's CPU. What may be shared depends on what a request is for:

* LIVE: what the ingest is about (the model, dataset or repo being ingested), and everything
  an update reads, is read upstream every time; the answer refreshes what is kept.
* LINKED: what a new ingest links to may be served from here for ``ttl_seconds``.
* PINNED: anything addressed by a commit id never changes and is kept until evicted.

Only definite answers are kept (200, and 404 for a file or repo that does not exist); errors
and rate-limit answers always go upstream again. Asks that may share an answer also share a
request still in flight; a request nobody waits for any more is cancelled.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

from app.upstream.http import Fetched

_COMMIT_ID = re.compile(r"[0-9a-f]{40}")
_KEPT_STATUSES = frozenset({200, 404})

CacheKey = tuple[str, tuple[tuple[str, str], ...]]


class Freshness(Enum):
    LIVE = "live"
    LINKED = "linked"
    PINNED = "pinned"


def is_commit_id(ref: str | None) -> bool:
    return ref is not None and _COMMIT_ID.fullmatch(ref) is not None


@dataclass(slots=True)
class _Entry:
    fetched: Fetched
    expires_at: float  # monotonic seconds; inf for pinned answers


@dataclass(slots=True)
class _Flight:
    """A request on its way, and how many asks wait for it."""

    future: asyncio.Future[Fetched]
    freshness: Freshness
    waiters: int = 0


class UpstreamCache:
    """A byte-bounded LRU of upstream answers. ``ttl_seconds=0`` turns sharing off."""

    def __init__(
        self,
        *,
        ttl_seconds: float,
        max_bytes: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_seconds
        self._max_bytes = max_bytes
        self._clock = clock
        self._entries: OrderedDict[CacheKey, _Entry] = OrderedDict()
        self._bytes = 0
        self._in_flight: dict[CacheKey, _Flight] = {}

    @property
    def enabled(self) -> bool:
        return self._ttl > 0 and self._max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    def peek(self, key: CacheKey, freshness: Freshness) -> Fetched | None:
        """The kept answer for ``key`` if one may serve this ask, without waiting."""
        if not self.enabled or freshness is Freshness.LIVE:
            return None
        return self._lookup(key)

    async def get(
        self, key: CacheKey, freshness: Freshness, fetch: Callable[[], Awaitable[Fetched]]
    ) -> Fetched:
        if not self.enabled:
            return await fetch()
        flight = None
        if freshness is not Freshness.LIVE:
            kept = self._lookup(key)
            if kept is not None:
                return kept
            flight = self._in_flight.get(key)
        if flight is None:
            flight = self._take_off(key, freshness, fetch)
        flight.waiters += 1
        try:
            # shield: one asker giving up must not cancel the request others wait for.
            return await asyncio.shield(flight.future)
        finally:
            flight.waiters -= 1
            if flight.waiters == 0 and not flight.future.done():
                flight.future.cancel()  # nobody wants the answer any more

    def _take_off(
        self, key: CacheKey, freshness: Freshness, fetch: Callable[[], Awaitable[Fetched]]
    ) -> _Flight:
        flight = _Flight(asyncio.ensure_future(fetch()), freshness)
        # A LIVE ask replaces a request in flight: the older answer must not be kept over it.
        self._in_flight[key] = flight
        flight.future.add_done_callback(lambda _: self._land(key, flight))
        return flight

    def _land(self, key: CacheKey, flight: _Flight) -> None:
        """Runs before any asker resumes, so the next ask finds the answer kept."""
        latest = self._in_flight.get(key) is flight
        if latest:
            del self._in_flight[key]
        future = flight.future
        if future.cancelled() or future.exception() is not None:
            return  # the askers see the failure; nothing is kept
        if latest:
            self._keep(key, future.result(), flight.freshness)

    def _lookup(self, key: CacheKey) -> Fetched | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self._clock():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry.fetched

    def _keep(self, key: CacheKey, fetched: Fetched, freshness: Freshness) -> None:
        size = len(fetched.content)
        # One answer may take at most an eighth of the cache, so a huge file cannot flush it.
        if fetched.status not in _KEPT_STATUSES or size > self._max_bytes // 8:
            return
        expires = float("inf") if freshness is Freshness.PINNED else self._clock() + self._ttl
        self._drop(key)
        self._entries[key] = _Entry(fetched, expires)
        self._bytes += size
        while self._bytes > self._max_bytes and self._entries:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: CacheKey) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry.fetched.content)
