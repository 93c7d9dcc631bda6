"""Searching artifacts.

A filter without a regex is a plain indexed query on the store. A regex must read every
name and README, so it scans an in-process copy of them (app.search.index) with RE2 in a
worker thread, and then reads only the page it returns from the store.

Keeping the copy in step, per regex search: the store's document count (collection
metadata) and the artifacts past the newest ordinal held (the ordinal index) — two cheap
queries. New artifacts always take a higher ordinal, so they are appended; when the counts
then disagree something was deleted, and the copy keeps only the ids still stored (a third
query, of ids alone; a full reload if the counts still disagree). Rewrites in place (a new
rating, a re-ingest under the same id) do not change either number: the copy is reloaded
at least every ``index_max_age_seconds`` for those, and the returned page is re-checked
against the documents as read, so a stale copy can miss a match for a while but never
return one that no longer holds.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from app.artifacts.cache import VersionedCache
from app.artifacts.entities import Artifact, ordinal_of
from app.artifacts.service import ArtifactService
from app.search.entities import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    ArtifactFilter,
    Edge,
    Page,
    decode_cursor,
    encode_cursor,
)
from app.search.errors import InvalidPageSizeError, InvalidScoreError
from app.search.index import IndexEntry, SearchIndex, position_after
from app.search.patterns import SearchPattern
from app.search.repository import SearchRepository

log = logging.getLogger(__name__)

#: A page of a filter without a regex: the filter, the ordinal it starts after, its length.
_PageKey = tuple[ArtifactFilter, int | None, int]


@dataclass(frozen=True, slots=True)
class Listing:
    """One page of the union of several filters, oldest first, each artifact once."""

    artifacts: tuple[Artifact, ...]
    #: The ordinal of the last artifact listed when more match past it, else None: the
    #: ``after`` that gives the next page.
    next_after: int | None


class SearchService:
    def __init__(
        self,
        repo: SearchRepository,
        artifacts: ArtifactService,
        *,
        index_max_age_seconds: float = 300.0,
        cache_entries: int,
    ) -> None:
        self._repo = repo
        self._artifacts = artifacts
        #: The ids of a filter's page under a data version; the artifacts themselves come
        #: through the artifact service's cache, so a repeated page asks the store nothing.
        self._pages = VersionedCache[tuple[ArtifactFilter, int | None, int], tuple[str, ...]](
            cache_entries
        )
        self._max_age = index_max_age_seconds
        self._index = SearchIndex(loaded_at=time.monotonic())
        self._checked_at = -math.inf
        self._refresh = asyncio.Lock()

    async def search(
        self, f: ArtifactFilter, *, first: int | None = None, after: str | None = None
    ) -> Page:
        """One page of the artifacts matching ``f``, oldest first, past the cursor ``after``."""
        limit = DEFAULT_PAGE_SIZE if first is None else first
        if not 0 <= limit <= MAX_PAGE_SIZE:
            raise InvalidPageSizeError(limit, MAX_PAGE_SIZE)
        start = None if after is None else decode_cursor(after)
        _check(f)
        f = self._for_caller(f)
        if f.regex is None:
            (ids,) = await self._pages.read_through([(f, start, limit + 1)], self._page_ids)
            rows = await self._hydrate(ids)
            return Page(_edges(rows[:limit]), has_next_page=len(ids) > limit)

        pattern = SearchPattern(f.regex)
        matches = await self._matches(f, pattern)
        begin = position_after(matches, start)
        chosen = matches[begin : begin + limit]
        rows = await self._hydrate([e.id for e in chosen])
        fresh = [(o, a) for o, a in rows if _still_matches(a, f, pattern)]
        return Page(_edges(fresh), has_next_page=begin + limit < len(matches), total=len(matches))

    async def enumerate(
        self, filters: Sequence[ArtifactFilter], *, after: int | None = None, limit: int
    ) -> Listing:
        """Up to ``limit`` artifacts matching any of ``filters``, past the ordinal ``after``.

        Each filter is read one page of ``limit`` ahead, so the union's first ``limit`` are
        exact and a filter with more left says there is more."""
        cursor = None if after is None else encode_cursor(after)
        found: dict[int, Artifact] = {}
        more = False
        for f in filters:
            page = await self.search(f, first=limit, after=cursor)
            more = more or page.has_next_page
            found.update({decode_cursor(e.cursor): e.artifact for e in page.edges})
        ordinals = sorted(found)
        chosen = ordinals[:limit]
        more = more or len(ordinals) > limit
        return Listing(tuple(found[o] for o in chosen), chosen[-1] if more and chosen else None)

    async def every(self, f: ArtifactFilter, *, most: int) -> list[Artifact]:
        """The first ``most`` artifacts matching ``f``, oldest first, read a full page at a time."""
        found: list[Artifact] = []
        after = None
        while len(found) < most:
            page = await self.search(f, first=MAX_PAGE_SIZE, after=after)
            found += [e.artifact for e in page.edges]
            if not page.has_next_page or page.end_cursor is None:
                break
            after = page.end_cursor
        return found[:most]

    async def count(self, f: ArtifactFilter) -> int:
        """How many artifacts match ``f`` in all."""
        _check(f)
        f = self._for_caller(f)
        if f.regex is None:
            return await self._repo.count(f)
        return len(await self._matches(f, SearchPattern(f.regex)))

    def _for_caller(self, f: ArtifactFilter) -> ArtifactFilter:
        """``f``, leaving out what this request's caller may not see."""
        if f.hide_failing or not self._artifacts.visibility.restricted():
            return f
        return replace(f, hide_failing=True)

    async def _page_ids(self, pages: list[_PageKey]) -> list[tuple[str, ...]]:
        return [tuple(await self._repo.page_ids(f, start, limit)) for f, start, limit in pages]

    async def _hydrate(self, ids: Sequence[str]) -> list[tuple[int, Artifact]]:
        """The artifacts among ``ids`` that still exist, with their ordinals, in id order."""
        found = await self._artifacts.get_many(ids)
        return [(ordinal_of(a.id), a) for a in found if a is not None]

    async def _matches(self, f: ArtifactFilter, pattern: SearchPattern) -> list[IndexEntry]:
        current = await self._current_index()
        # RE2 holds the GIL only between calls; a thread keeps the event loop answering.
        return await asyncio.to_thread(current.matching, f, pattern)

    async def _current_index(self) -> SearchIndex:
        asked_at = time.monotonic()
        async with self._refresh:
            if self._checked_at >= asked_at:  # refreshed while this search waited
                return self._index
            checked_at = time.monotonic()
            current = self._index
            if checked_at - current.loaded_at > self._max_age:
                current = await self._load()
            else:
                size = await self._repo.size()
                current = current.extended(await self._repo.index_entries(current.last_ordinal))
                if len(current.entries) != size:  # something was deleted
                    current = current.restricted(await self._repo.ids())
                if len(current.entries) != size:  # or it changed meanwhile: start over
                    current = await self._load()
            self._index, self._checked_at = current, checked_at
            return current

    async def _load(self) -> SearchIndex:
        started = time.monotonic()
        entries = await self._repo.index_entries()
        log.info(
            "search index loaded: %d artifacts in %.2fs", len(entries), time.monotonic() - started
        )
        return SearchIndex(tuple(entries), loaded_at=started)


def _check(f: ArtifactFilter) -> None:
    score = f.min_net_score
    if score is not None and not (math.isfinite(score) and 0.0 <= score <= 1.0):
        raise InvalidScoreError(score)


def _still_matches(a: Artifact, f: ArtifactFilter, pattern: SearchPattern) -> bool:
    net_score = None if a.rating is None else a.rating.net_score
    return f.accepts(a.type, net_score, a.name, gate_passed=a.gate_passed) and (
        pattern.search(a.name) or pattern.search(a.readme)
    )


def _edges(rows: list[tuple[int, Artifact]]) -> tuple[Edge, ...]:
    return tuple(Edge(encode_cursor(ordinal), artifact) for ordinal, artifact in rows)
