"""All MongoDB queries about the audit log. Entries are inserted whole and never updated."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import BulkWriteError

from app.audit.entities import AuditAction, AuditedArtifact, AuditEntry, AuditPage
from app.kinds import ArtifactType
from app.storage.mongo import Database, Document

_DUPLICATE_KEY = 11000


class AuditRepository:
    def __init__(self, db: Database) -> None:
        self._entries = db["audit"]

    async def ensure_indexes(self) -> None:
        await self._entries.create_index("seq", unique=True)
        await self._entries.create_index([("artifact.id", ASCENDING), ("seq", DESCENDING)])

    async def max_seq(self) -> int:
        """The highest position written (0 for an empty log)."""
        doc = await self._entries.find_one({}, {"seq": 1}, sort=[("seq", DESCENDING)])
        return 0 if doc is None else int(doc["seq"])

    async def existing_ids(self, ids: Sequence[str]) -> set[str]:
        """Which of these entry ids (keys) are in the log."""
        if not ids:
            return set()
        cursor = self._entries.find({"_id": {"$in": list(ids)}}, {"_id": 1})
        return {d["_id"] async for d in cursor}

    async def insert(self, entries: Sequence[tuple[AuditEntry, str | None]]) -> None:
        """Append ``entries`` (each with its optional key) in one write. An entry whose key is
        already there is skipped, the others still go in: a retried job recording the same
        events twice adds nothing."""
        try:
            await self._entries.insert_many(
                [_to_document(entry, key) for entry, key in entries], ordered=False
            )
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if exc.details.get("writeConcernErrors") or not errors:
                raise
            if not all(_is_repeated_key(e, entries) for e in errors):
                raise

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


def _is_repeated_key(error: Document, entries: Sequence[tuple[AuditEntry, str | None]]) -> bool:
    """The write error of a keyed entry whose key (its _id) is already in the log."""
    if error.get("code") != _DUPLICATE_KEY or entries[error["index"]][1] is None:
        return False
    pattern = error.get("keyPattern")  # servers that name the index: it must be _id's
    return pattern is None or "_id" in pattern


def entry_id(entry: AuditEntry, key: str | None) -> str:
    """An entry's id in the log: its key, else its position."""
    return key or str(entry.seq)


def _to_document(entry: AuditEntry, key: str | None) -> Document:
    return {
        "_id": entry_id(entry, key),
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
