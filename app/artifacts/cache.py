"""Artifacts as this process last read them, each tagged with the data version it was read
under (``app.freshness``): served again only to a request that checked the same version."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence

from app.artifacts.entities import Artifact

#: Entries kept (least recently used dropped first), and how long one is trusted at most: a
#: backstop for a change whose new version could not be published (Redis down at the time).
ENTRIES = 20_000
SECONDS = 30.0

_MISSING = object()


class ArtifactCache:
    def __init__(self, entries: int = ENTRIES, seconds: float = SECONDS) -> None:
        self._items: OrderedDict[str, tuple[str, float, Artifact | None]] = OrderedDict()
        self._entries = entries
        self._seconds = seconds

    def get(self, artifact_id: str, version: str) -> Artifact | object | None:
        """The artifact (or None: known absent) read under ``version``; ``MISSING`` if not
        cached under it."""
        item = self._items.get(artifact_id)
        if item is None or item[0] != version or time.monotonic() - item[1] > self._seconds:
            return _MISSING
        self._items.move_to_end(artifact_id)
        return item[2]

    def put_all(self, version: str, found: Sequence[tuple[str, Artifact | None]]) -> None:
        now = time.monotonic()
        for artifact_id, artifact in found:
            self._items[artifact_id] = (version, now, artifact)
            self._items.move_to_end(artifact_id)
        while len(self._items) > self._entries:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()


MISSING = _MISSING
