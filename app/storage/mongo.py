"""MongoDB plumbing shared by the repositories."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

Document = dict[str, Any]
Database = AsyncDatabase[Document]


def connect(url: str) -> AsyncMongoClient[Document]:
    # tz_aware: datetimes come back as aware UTC values, as they went in.
    return AsyncMongoClient(
        url, tz_aware=True, serverSelectionTimeoutMS=5000, appname="trustworthy-model-registry"
    )


async def next_sequence(db: Database, name: str, count: int = 1) -> int:
    """A counter that only goes up: ids made from it are never reused, even after a reset.
    Takes ``count`` values at once and returns the last of them."""
    doc = await db["counters"].find_one_and_update(
        {"_id": name},
        {"$inc": {"value": count}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    if doc is None:  # pragma: no cover - upsert with AFTER always returns the document
        raise RuntimeError("counter upsert returned nothing")
    return int(doc["value"])
