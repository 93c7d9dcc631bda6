"""All MongoDB queries for search, on the artifacts collection (documents in the format of
app.artifacts.repository: ``ordinal``, ``name``, ``type``, ``net_score``, ``readme``)."""

from __future__ import annotations

from app.kinds import ArtifactType
from app.search.entities import ArtifactFilter
from app.search.index import IndexEntry
from app.storage.mongo import Database, Document

_INDEX_FIELDS = {
    "_id": 1,
    "ordinal": 1,
    "name": 1,
    "type": 1,
    "net_score": 1,
    "gate_passed": 1,
    "readme": 1,
}


class SearchRepository:
    def __init__(self, db: Database) -> None:
        self._collection = db["artifacts"]

    async def page_ids(self, f: ArtifactFilter, after: int | None, limit: int) -> list[str]:
        """The ids of up to ``limit`` artifacts past ``after`` in ordinal order, for a filter
        without a regex: the ordinal index (and the name index) answer it without a scan, and
        no document is read whole."""
        cursor = self._collection.find(_query(f, after), {"_id": 1}).sort("ordinal", 1)
        return [d["_id"] async for d in cursor.limit(limit)]

    async def count(self, f: ArtifactFilter) -> int:
        """Matches of a filter without a regex."""
        query = _query(f, None)
        if not query:
            return await self.size()
        if f.name is not None:
            # Counting the few ids the name index yields: nx-27017's count_documents scans
            # the whole collection whatever the indexes (~0.5 s per 10 000 artifacts).
            return len(await self._collection.find(query, {"_id": 1}).to_list())
        return await self._collection.count_documents(query)

    async def size(self) -> int:
        """How many artifacts there are, from collection metadata: no scan. (MongoDB can be
        off after an unclean shutdown until the collection is validated.)"""
        return await self._collection.estimated_document_count()

    async def ids(self) -> set[str]:
        """Every artifact's id: to find what was deleted without reading any README."""
        return {d["_id"] async for d in self._collection.find({}, {"_id": 1})}

    async def index_entries(self, after: int | None = None) -> list[IndexEntry]:
        """What the search index keeps, for every artifact past ``after`` (all when None)."""
        query: Document = {} if after is None else {"ordinal": {"$gt": after}}
        cursor = self._collection.find(query, _INDEX_FIELDS).sort("ordinal", 1)
        return [
            IndexEntry.of(
                ordinal=int(d["ordinal"]),
                artifact_id=d["_id"],
                type_=ArtifactType(d["type"]),
                net_score=None if d.get("net_score") is None else float(d["net_score"]),
                name=d["name"],
                readme=d.get("readme") or "",
                gate_passed=d.get("gate_passed"),
            )
            async for d in cursor
        ]


def _query(f: ArtifactFilter, after: int | None) -> Document:
    query: Document = {}
    if after is not None:
        query["ordinal"] = {"$gt": after}
    if f.name is not None:
        query["name"] = f.name
    if f.types:
        # Checked row by row along the ordinal index: cheap for a common type, a walk of every
        # artifact for a rare one. No form does better for both on nx-27017: equality with an
        # index on type finds a rare type at once but a common one ~15x slower (it sorts all
        # the matches), and an index on (type, ordinal) goes unused (bench/lookups.py).
        query["type"] = {"$in": sorted(t.value for t in f.types)}
    if f.min_net_score is not None:
        # null (datasets, code, unrated models) never satisfies $gte.
        query["net_score"] = {"$gte": f.min_net_score}
    if f.gate_passed is not None:
        # null (datasets, code, ungated models) equals neither true nor false.
        query["gate_passed"] = f.gate_passed
    if f.hide_failing:
        query["gate_passed"] = (
            {"$in": []} if f.gate_passed is False else query.get("gate_passed", {"$ne": False})
        )
    return query
