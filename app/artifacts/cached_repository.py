"""The artifact store read through this process's caches (``app.artifacts.cache``): artifacts by
id, and the ids each lookup key (a source, a parent's name, an alias) names. Every finder of
the repository is built on those two reads, so a parent lookup or a lineage walk repeated
under the same data version asks the store nothing."""

from __future__ import annotations

from collections.abc import Sequence

from app.artifacts.cache import VersionedCache
from app.artifacts.entities import Artifact
from app.artifacts.repository import ArtifactRepository
from app.storage.mongo import Database


class CachedArtifactRepository(ArtifactRepository):
    """Writes go straight through; whoever writes calls ``clear`` and publishes a new data
    version (``ArtifactService._changing``)."""

    def __init__(self, db: Database, entries: int) -> None:
        super().__init__(db)
        self._artifacts = VersionedCache[str, Artifact | None](entries)
        self._ids = VersionedCache[str, tuple[str, ...]](entries)

    async def get_many(self, ids: Sequence[str]) -> list[Artifact | None]:
        return await self._artifacts.read_through(ids, super().get_many)

    async def keyed(self, keys: Sequence[str]) -> list[tuple[str, ...]]:
        return await self._ids.read_through(keys, super().keyed)

    def clear(self) -> None:
        self._artifacts.clear()
        self._ids.clear()
