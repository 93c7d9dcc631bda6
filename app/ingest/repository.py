"""All MongoDB queries about ingest jobs, and the one-ingest-per-source lock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.errors import BackendUnavailableError
from app.ingest.entities import (
    IngestJob,
    IngestState,
    StateChange,
)
from app.storage.mongo import Database

_CAS_ATTEMPTS = 8


class IngestJobRepository:
    def __init__(self, db: Database) -> None:
        self._jobs = db["ingest_jobs"]
        self._locks = db["ingest_locks"]

    async def ensure_indexes(self) -> None:
        await self._jobs.create_index("source_key")
        await self._jobs.create_index("created_at")
        await self._jobs.create_index("state")

    async def insert(self, job: IngestJob) -> None:
        await self._jobs.insert_one(job.to_document())

    async def get(self, job_id: str) -> IngestJob | None:
        doc = await self._jobs.find_one({"_id": job_id})
        return None if doc is None else IngestJob.from_document(doc)

    async def transition(
        self,
        job: IngestJob,
        state: IngestState,
        now: datetime,
        *,
        via: Sequence[IngestState] = (),
        **changes: Any,  # noqa: ANN401
    ) -> IngestJob | None:
        """Move a live job to ``state`` (through ``via`` first, each a step of its history)
        with ``changes`` to its fields: a compare-and-set on ``seq``, so concurrent writers
        never lose a step. None if the job is finished."""
        current: IngestJob | None = job
        for _ in range(_CAS_ATTEMPTS):
            if current is None or current.state.terminal:
                return None
            updated = replace(
                current,
                state=state,
                seq=current.seq + len(via) + 1,
                updated_at=now,
                history=(*current.history, *(StateChange(s, now) for s in (*via, state))),
                **changes,
            )
            # A whole-document replace rather than $set/$push: one code path that every
            # MongoDB-protocol server handles alike.
            # The artifact id too: one drawn meanwhile (``give_artifact_id``) is never undone.
            result = await self._jobs.replace_one(
                {"_id": current.id, "seq": current.seq, "artifact_id": current.artifact_id},
                updated.to_document(),
            )
            if result.matched_count == 1:
                return updated
            current = await self.get(job.id)
        raise BackendUnavailableError(f"ingest {job.id} is being updated by too many writers")

    async def give_artifact_id(self, job_id: str, artifact_id: str) -> IngestJob | None:
        """The job with ``artifact_id``, unless it has one already: then the job as it is,
        its own id kept. None if the job is gone."""
        doc = await self._jobs.find_one_and_update(
            {"_id": job_id, "artifact_id": None},
            {"$set": {"artifact_id": artifact_id}},
            return_document=ReturnDocument.AFTER,
        )
        return IngestJob.from_document(doc) if doc is not None else await self.get(job_id)

    async def unfinished(self, *, unchanged_since: datetime, limit: int) -> list[IngestJob]:
        """Live jobs (neither DONE nor FAILED) that have not changed since the given time,
        oldest first."""
        cursor = (
            self._jobs.find(
                {
                    "state": {"$nin": [s.value for s in IngestState if s.terminal]},
                    "updated_at": {"$lt": unchanged_since},
                }
            )
            .sort("updated_at", 1)
            .limit(limit)
        )
        return [IngestJob.from_document(d) async for d in cursor]

    async def acquire_source(self, source_key: str, job_id: str) -> str | None:
        """Claim ``source_key`` for ``job_id``. Returns None when claimed, else the id of the
        job that holds it."""
        try:
            await self._locks.insert_one({"_id": source_key, "job_id": job_id})
        except DuplicateKeyError:
            doc = await self._locks.find_one({"_id": source_key})
            if doc is None:  # released between our insert and read: try once more
                return await self.acquire_source(source_key, job_id)
            return str(doc["job_id"])
        return None

    async def delete_all(self) -> None:
        """Every job and every in-flight lock."""
        await self._jobs.delete_many({})
        await self._locks.delete_many({})

    async def release_source(self, source_key: str, job_id: str) -> None:
        await self._locks.delete_one({"_id": source_key, "job_id": job_id})

    async def stale_locks(self, limit: int) -> list[tuple[str, str]]:
        """(source, job id) of locks whose job has ended or is gone: a worker died between
        ending the job and freeing its lock."""
        locks = [(d["_id"], str(d["job_id"])) async for d in self._locks.find({}).limit(limit)]
        if not locks:
            return []
        live = {
            d["_id"]
            async for d in self._jobs.find(
                {
                    "_id": {"$in": [job_id for _, job_id in locks]},
                    "state": {"$nin": [s.value for s in IngestState if s.terminal]},
                },
                {"_id": 1},
            )
        }
        return [(source, job_id) for source, job_id in locks if job_id not in live]
