"""All MongoDB queries about ingest jobs, and the one-ingest-per-source lock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from app.artifacts.entities import ArtifactType
from app.errors import BackendUnavailableError
from app.ingest.entities import (
    IngestError,
    IngestJob,
    IngestState,
    StateChange,
    files_from_list,
    files_to_list,
    source_from_dict,
    source_to_dict,
)
from app.rating.entities import GateDecision, MetricScore
from app.rating.gate import GateMode
from app.storage.mongo import Database, Document

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
        await self._jobs.insert_one(_to_document(job))

    async def get(self, job_id: str) -> IngestJob | None:
        doc = await self._jobs.find_one({"_id": job_id})
        return None if doc is None else _from_document(doc)

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
            result = await self._jobs.replace_one(
                {"_id": current.id, "seq": current.seq}, _to_document(updated)
            )
            if result.matched_count == 1:
                return updated
            current = await self.get(job.id)
        raise BackendUnavailableError(f"ingest {job.id} is being updated by too many writers")

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
        return [_from_document(d) async for d in cursor]

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


def _to_document(job: IngestJob) -> Document:
    return {
        "_id": job.id,
        "url": job.url,
        "type": job.type.value,
        "name": job.name,
        "source_key": job.source_key,
        "requester": job.requester,
        "state": job.state.value,
        "artifact_id": job.artifact_id,
        "seq": job.seq,
        "history": _history(job),
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "attempts": job.attempts,
        "error": None if job.error is None else job.error.to_dict(),
        "stored": job.stored,
        "replaces": job.replaces,
        "scores": [m.to_dict() for m in job.scores],
        "net_score": job.net_score,
        "gate": None if job.gate is None else job.gate.to_dict(),
        "gate_mode": job.gate_mode.value,
        "source": None if job.source is None else source_to_dict(job.source),
        "files": files_to_list(job.files),
    }


def _history(job: IngestJob) -> list[Document]:
    return [{"state": h.state.value, "at": h.at} for h in job.history]


def _from_document(d: Document) -> IngestJob:
    error = d.get("error")
    return IngestJob(
        id=d["_id"],
        url=d["url"],
        type=ArtifactType(d["type"]),
        name=d.get("name"),
        source_key=d["source_key"],
        requester=d["requester"],
        state=IngestState(d["state"]),
        artifact_id=d["artifact_id"],
        seq=int(d["seq"]),
        history=tuple(StateChange(IngestState(h["state"]), h["at"]) for h in d["history"]),
        created_at=d["created_at"],
        updated_at=d["updated_at"],
        attempts=int(d.get("attempts", 0)),
        error=None if error is None else IngestError.from_dict(error),
        stored=bool(d.get("stored", False)),
        replaces=d.get("replaces"),
        scores=tuple(MetricScore.from_dict(m) for m in d.get("scores") or ()),
        net_score=d.get("net_score"),
        gate=None if not d.get("gate") else GateDecision.from_dict(d["gate"]),
        # jobs queued before gate modes existed were enforced
        gate_mode=GateMode(d.get("gate_mode") or GateMode.ENFORCE),
        source=None if not d.get("source") else source_from_dict(d["source"]),
        files=files_from_list(d.get("files")),
    )
