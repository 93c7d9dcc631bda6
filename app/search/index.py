"""An in-process copy of what a regex search reads: per artifact its ordinal, id, type, net
score, and its name and README as UTF-8.

Why a copy: a regex is answered by scanning every README, and fetching them all from the
store on each search costs far more than the scan (10 000 READMEs of a few KB take
~1.3 s to read back from the test suite's nx-27017 and ~0.1-0.3 s from a real mongod, while
RE2 scans them in ~30 ms). Keeping them here makes a search cost two cheap queries plus the
scan; :class:`app.search.service.SearchService` keeps the copy in step with the store.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from app.kinds import ArtifactType
from app.search.entities import ArtifactFilter
from app.search.patterns import SearchPattern


@dataclass(frozen=True, slots=True)
class IndexEntry:
    ordinal: int
    id: str
    type: ArtifactType
    net_score: float | None
    gate_passed: bool | None
    name: str
    name_utf8: bytes
    readme_utf8: bytes  # encoded once here, not on every search

    @classmethod
    def of(
        cls,
        *,
        ordinal: int,
        artifact_id: str,
        type_: ArtifactType,
        net_score: float | None,
        name: str,
        readme: str,
        gate_passed: bool | None = None,
    ) -> IndexEntry:
        return cls(
            ordinal,
            artifact_id,
            type_,
            net_score,
            gate_passed,
            name,
            name.encode(),
            readme.encode(),
        )

    def matches(self, f: ArtifactFilter, pattern: SearchPattern) -> bool:
        return f.accepts(self.type, self.net_score, self.name, gate_passed=self.gate_passed) and (
            pattern.search(self.name_utf8) or pattern.search(self.readme_utf8)
        )


@dataclass(frozen=True, slots=True)
class SearchIndex:
    """An immutable snapshot, ordered by ordinal: searches read it while a refresh builds
    the next one."""

    entries: tuple[IndexEntry, ...] = ()
    loaded_at: float = 0.0  # time.monotonic() of the last full load

    @property
    def last_ordinal(self) -> int:
        return self.entries[-1].ordinal if self.entries else -1

    def extended(self, newer: list[IndexEntry]) -> SearchIndex:
        return SearchIndex((*self.entries, *newer), self.loaded_at) if newer else self

    def restricted(self, ids: set[str]) -> SearchIndex:
        """Without the entries whose artifacts are gone."""
        return SearchIndex(tuple(e for e in self.entries if e.id in ids), self.loaded_at)

    def matching(self, f: ArtifactFilter, pattern: SearchPattern) -> list[IndexEntry]:
        """Every entry the filter and pattern accept, in ordinal order. CPU-bound (RE2 runs
        without the event loop's help), so callers run it in a worker thread."""
        return [e for e in self.entries if e.matches(f, pattern)]


def position_after(entries: list[IndexEntry], ordinal: int | None) -> int:
    """The position of the first entry past ``ordinal`` (entries in ordinal order)."""
    if ordinal is None:
        return 0
    return bisect.bisect_right(entries, ordinal, key=lambda e: e.ordinal)
