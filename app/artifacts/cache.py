"""What this process last read from the artifact store, each entry tagged with the data version
it was read under (``app.freshness``): served again only to a request that checked the same
version."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar, cast

from app.freshness import seen_version

#: How long an entry is trusted at most: a backstop for a change whose new version could not
#: be published (Redis down at the time).
SECONDS = 30.0

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_MISSING = object()


class VersionedCache(Generic[K, V]):
    def __init__(self, entries: int, seconds: float = SECONDS) -> None:
        """``entries`` kept at most, least recently used dropped first; 0 keeps none."""
        self._items: OrderedDict[K, tuple[str, float, V]] = OrderedDict()
        self._entries = entries
        self._seconds = seconds

    def get(self, key: K, version: str) -> V | object:
        """The value read under ``version``; ``MISSING`` if not cached under it."""
        item = self._items.get(key)
        if item is None or item[0] != version or time.monotonic() - item[1] > self._seconds:
            return _MISSING
        self._items.move_to_end(key)
        return item[2]

    def put_all(self, version: str, found: Sequence[tuple[K, V]]) -> None:
        if self._entries <= 0:
            return
        now = time.monotonic()
        for key, value in found:
            self._items[key] = (version, now, value)
            self._items.move_to_end(key)
        while len(self._items) > self._entries:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()

    async def read_through(
        self, keys: Sequence[K], read: Callable[[list[K]], Awaitable[Sequence[V]]]
    ) -> list[V]:
        """The values of ``keys`` in order: cached ones under the version the request's token
        check saw, the rest (all of them when it saw none) from ``read`` in one call, which
        answers its keys in order."""
        version = seen_version()
        if version is None:
            return list(await read(list(keys))) if keys else []
        cached = [self.get(k, version) for k in keys]
        wanted = list(dict.fromkeys(k for k, c in zip(keys, cached, strict=True) if c is _MISSING))
        fresh = dict(zip(wanted, await read(wanted), strict=True)) if wanted else {}
        self.put_all(version, list(fresh.items()))
        return [
            fresh[k] if c is _MISSING else cast("V", c) for k, c in zip(keys, cached, strict=True)
        ]
