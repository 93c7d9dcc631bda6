"""Who holds each stored file: one document per distinct content (``_id`` its sha256) with the
artifacts referring to it, so a file shared by several models is stored once and removed with
the last of them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from app.mirror.entities import FileCheck
from app.storage.mongo import Database

_LAST_CHECK = "last"


class FileReferences:
    def __init__(self, db: Database) -> None:
        # not "stored_files": nx-27017 silently drops upserts into collections named so
        self._collection = db["file_holders"]
        self._checks = db["file_checks"]

    async def ensure_indexes(self) -> None:
        await self._collection.create_index("blob_id")

    async def hold(
        self, sha256: str, size: int, artifact_id: str, *, blob_id: str | None = None
    ) -> None:
        """``artifact_id`` refers to the content ``sha256`` (again: holding twice is once);
        ``blob_id``, its git blob id, finds it again before it is read."""
        known: dict[str, object] = {"size": size}
        if blob_id is not None:
            known["blob_id"] = blob_id
        await self._collection.update_one(
            {"_id": sha256}, {"$addToSet": {"holders": artifact_id}, "$set": known}, upsert=True
        )

    async def by_blob_id(self, blob_id: str) -> str | None:
        """The sha256 of a stored content known by its git blob id."""
        doc = await self._collection.find_one({"blob_id": blob_id}, {"_id": 1})
        return None if doc is None else str(doc["_id"])

    async def release(self, artifact_id: str, sha256s: Sequence[str]) -> list[str]:
        """Drop ``artifact_id``'s references; the contents nobody refers to any more, which the
        caller removes from the blob store."""
        orphans = []
        for sha256 in dict.fromkeys(sha256s):
            await self._collection.update_one({"_id": sha256}, {"$pull": {"holders": artifact_id}})
            # only if still unheld: an ingest may have taken it meanwhile
            gone = await self._collection.delete_one({"_id": sha256, "holders": {"$size": 0}})
            if gone.deleted_count:
                orphans.append(sha256)
        return orphans

    async def held_by(self, artifact_id: str) -> list[str]:
        """The contents ``artifact_id`` refers to (reads every document on nx-27017, which
        matches array elements by scanning: only for an ingest giving up)."""
        return [d["_id"] async for d in self._collection.find({"holders": artifact_id}, {"_id": 1})]

    async def delete_all(self) -> None:
        await self._collection.delete_many({})

    async def contents(self) -> list[tuple[str, int]]:
        """Every stored content's sha256 and size (ids and sizes only: cheap at any count)."""
        return [
            (d["_id"], int(d.get("size", 0))) async for d in self._collection.find({}, {"size": 1})
        ]

    async def save_check(self, check: FileCheck) -> None:
        # $set, not a replacement: nx-27017 gives an upserted replacement a new _id
        await self._checks.update_one(
            {"_id": _LAST_CHECK},
            {
                "$set": {
                    # as text: nx-27017 turns a date set on an existing document into text
                    "at": check.at.isoformat(),
                    "checked": check.checked,
                    "corrupt": list(check.corrupt),
                }
            },
            upsert=True,
        )

    async def last_check(self) -> FileCheck | None:
        doc = await self._checks.find_one({"_id": _LAST_CHECK})
        if doc is None:
            return None
        at = datetime.fromisoformat(str(doc["at"]))
        return FileCheck(at, int(doc["checked"]), tuple(doc.get("corrupt") or ()))

    async def holders(self, sha256: str) -> list[str]:
        doc = await self._collection.find_one({"_id": sha256})
        return [] if doc is None else list(doc.get("holders", []))

    async def stored_bytes(self) -> int:
        """What the blob store holds of mirrored files, each content counted once."""
        total = 0
        async for doc in self._collection.find({}, {"size": 1}):
            total += int(doc.get("size", 0))
        return total
