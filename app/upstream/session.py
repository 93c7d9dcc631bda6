"""What one ingest (or one licence check) sees of upstream: a memo that makes every URL fetched
at most once, even when several metrics ask for it at the same moment, over the process's
shared cache and connection pool."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager

from app.upstream.cache import CacheKey, Freshness, UpstreamCache, is_commit_id
from app.upstream.hosts import HUBS_ONLY, HostPolicy
from app.upstream.http import Fetched, Streamed, UpstreamHttp

#: Which upstream repository a session is about: ("model" | "dataset" | "github", repo id).
Subject = tuple[str, str]


class UpstreamSession:
    def __init__(
        self,
        http: UpstreamHttp,
        cache: UpstreamCache,
        subject: Subject | None = None,
        *,
        shared_links: bool = False,
        hosts: HostPolicy = HUBS_ONLY,
    ) -> None:
        self._http = http
        self._cache = cache
        self._hosts = hosts
        self._subject = None if subject is None else (subject[0], subject[1].lower())
        self._shared_links = shared_links
        self._memo: dict[CacheKey, asyncio.Future[Fetched]] = {}

    def freshness(self, kind: str, repo_id: str, revision: str | None = None) -> Freshness:
        """How a request about ``repo_id`` may be served: a commit-addressed answer never
        changes; with ``shared_links``, what the session links to (anything but its subject)
        may come from the shared cache; everything else is read upstream."""
        if is_commit_id(revision):
            return Freshness.PINNED
        if self._shared_links and (kind, repo_id.lower()) != self._subject:
            return Freshness.LINKED
        return Freshness.LIVE

    async def get(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        freshness: Freshness = Freshness.LIVE,
    ) -> Fetched:
        sent = dict(headers or {})
        key: CacheKey = (url, tuple(sorted(sent.items())))
        future = self._memo.get(key)
        if future is None:
            kept = self._cache.peek(key, freshness)
            if kept is not None:  # no task needed for what is already at hand
                future = asyncio.get_running_loop().create_future()
                future.set_result(kept)
            else:
                future = asyncio.ensure_future(
                    self._cache.get(key, freshness, lambda: self._http.get(url, sent, self._hosts))
                )
            self._memo[key] = future
        if future.done():
            return future.result()
        # shield: one caller being cancelled (a metric timing out) must not cancel the
        # request other callers are waiting on.
        return await asyncio.shield(future)

    def stream(
        self, url: str, headers: Mapping[str, str] | None = None
    ) -> AbstractAsyncContextManager[Streamed]:
        """A file's body in chunks: never cached, never shared."""
        return self._http.stream(url, dict(headers or {}), self._hosts)

    async def aclose(self) -> None:
        pending = [f for f in self._memo.values() if not f.done()]
        for future in pending:
            future.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for future in self._memo.values():
            if future.done() and not future.cancelled():
                future.exception()  # mark retrieved: a failure was already reported
