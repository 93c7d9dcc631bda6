"""MongoDB plumbing shared by the repositories."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

Document = dict[str, Any]
Database = AsyncDatabase[Document]


def connect(url: str, *, timeout_seconds: float = 5.0) -> AsyncMongoClient[Document]:
    """A client whose every operation ends within ``timeout_seconds``.

    ``timeoutMS`` is the driver's own deadline per operation (server selection, connection
    checkout, the round trip, retries; it also tells the server when to give up): a stalled
    store fails requests with a timeout, which ``app.outages`` reports as unavailable, instead
    of holding them for as long as the stall lasts. The other two bound what the deadline does
    not cover: the background monitor's connections and the first server selection.
    """
    deadline_ms = max(1, round(timeout_seconds * 1000))
    # tz_aware: datetimes come back as aware UTC values, as they went in.
    return AsyncMongoClient(
        url,
        tz_aware=True,
        timeoutMS=deadline_ms,
        connectTimeoutMS=deadline_ms,
        serverSelectionTimeoutMS=deadline_ms,
        appname="trustworthy-model-registry",
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
