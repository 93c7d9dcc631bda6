"""All MongoDB queries about the audit log. Entries are inserted whole and never updated."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from app.artifacts.entities import ArtifactType
from app.audit.entities import AuditAction, AuditedArtifact, AuditEntry, AuditPage
from app.storage.mongo import Database, Document, next_sequence


class AuditRepository:
    def __init__(self, db: Database) -> None:
        self._entries = db["audit"]
        self._db = db

    async def ensure_indexes(self) -> None:
        await self._entries.create_index("seq", unique=True)
        await self._entries.create_index([("artifact.id", ASCENDING), ("seq", DESCENDING)])

    async def next_seq(self) -> int:
        # A counter rather than ObjectIds: it orders entries across processes, and cursors
        # made from it stay valid for ever.
        return await next_sequence(self._db, "audit")

    async def insert(self, entry: AuditEntry, *, key: str | None = None) -> bool:
        """Append ``entry``; False when an entry with the same ``key`` is already there
        (a retried job recording the same event twice)."""
        try:
            await self._entries.insert_one(_to_document(entry, key))
        except DuplicateKeyError:
            if key is None:
                raise
            return False
        return True

    async def delete_all(self) -> None:
        await self._entries.delete_many({})

    async def page(self, artifact_id: str | None, *, before: int | None, limit: int) -> AuditPage:
        """Up to ``limit`` entries older than the one at ``before``, newest first."""
        query: Document = {} if artifact_id is None else {"artifact.id": artifact_id}
        if before is not None:
            query["seq"] = {"$lt": before}
        cursor = self._entries.find(query).sort("seq", DESCENDING).limit(limit + 1)
        docs = [d async for d in cursor]
        return AuditPage(
            entries=tuple(_from_document(d) for d in docs[:limit]), has_next=len(docs) > limit
        )

    async def latest(self, artifact_id: str) -> AuditEntry | None:
        doc = await self._entries.find_one({"artifact.id": artifact_id}, sort=[("seq", DESCENDING)])
        return None if doc is None else _from_document(doc)


def _to_document(entry: AuditEntry, key: str | None) -> Document:
    return {
        "_id": key or str(entry.seq),
        "seq": entry.seq,
        "artifact": {
            "id": entry.artifact.id,
            "name": entry.artifact.name,
            "type": entry.artifact.type.value,
        },
        "user": entry.user,
        "date": entry.date,
        "action": entry.action.value,
    }


def _from_document(d: Document) -> AuditEntry:
    artifact: Document = d["artifact"]
    return AuditEntry(
        seq=int(d["seq"]),
        artifact=AuditedArtifact(artifact["id"], artifact["name"], ArtifactType(artifact["type"])),
        user=d["user"],
        date=d["date"],
        action=AuditAction(d["action"]),
    )
