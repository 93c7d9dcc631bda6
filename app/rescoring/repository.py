"""What the registry last learned of each upstream source it rated from: the revision and the
validator (ETag) to ask again with. One document per source, shared by every artifact rated
from it, so a pass over many models that link one code repository asks about it once."""

from __future__ import annotations

from collections.abc import Sequence

from app.rescoring.entities import SourceState
from app.storage.mongo import Database


class SourceStates:
    def __init__(self, db: Database) -> None:
        self._collection = db["upstream_validators"]

    async def get_many(self, keys: Sequence[str]) -> dict[str, SourceState]:
        found = self._collection.find({"_id": {"$in": list(keys)}})
        return {
            d["_id"]: SourceState(d["_id"], d.get("revision"), d.get("etag")) async for d in found
        }

    async def put(self, state: SourceState) -> None:
        await self._collection.update_one(
            {"_id": state.key},
            {"$set": {"revision": state.revision, "etag": state.etag}},
            upsert=True,
        )

    async def delete_all(self) -> None:
        await self._collection.delete_many({})
