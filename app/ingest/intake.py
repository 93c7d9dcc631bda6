"""Accepting an ingest: validate the request, refuse a registered source, queue one job per
source.

Identity is settled in two places (DESIGN §5). Here, without asking upstream: the source as the
client named it, in any case, or by an alias seen before, is refused at once as a conflict.
A legacy or renamed Hugging Face id (``bert-base-uncased`` for
``google-bert/bert-base-uncased``) is known only from the hub's answer, so the worker settles
it after fetching (app.ingest.pipeline), under the canonical id's lock, before anything is
scored or stored. Why the worker and not here: an intake that asked the hub would put an
upstream round trip on every create and turn a hub outage into refused requests, where the
queue retries with backoff; and the worker reads that answer anyway.
"""

from __future__ import annotations

import uuid

from app.artifacts.entities import SourceRef
from app.artifacts.errors import DuplicateSourceError
from app.artifacts.service import ArtifactService
from app.artifacts.sources import parse_source
from app.clock import utcnow
from app.errors import BackendUnavailableError, ValidationError
from app.ingest.entities import IngestError, IngestJob, IngestState, StateChange
from app.ingest.repository import IngestJobRepository
from app.ingest.transitions import JobStates
from app.observability.metrics import record_transition
from app.ports import JobName, JobQueue
from app.rating.gate import GateMode

MAX_NAME_LENGTH = 255


class IngestIntake:
    def __init__(
        self,
        *,
        jobs: IngestJobRepository,
        states: JobStates,
        artifacts: ArtifactService,
        queue: JobQueue,
    ) -> None:
        self._jobs = jobs
        self._states = states
        self._artifacts = artifacts
        self._queue = queue

    async def start(
        self, source: SourceRef, url: str, name: str | None, requester: str, mode: GateMode
    ) -> IngestJob:
        _check_name(name)
        existing = await self._artifacts.find_named(source.key)
        if existing is not None:
            raise DuplicateSourceError(existing.source.key, existing.id)
        # No artifact id yet: one is drawn once the gate passes it (app.ingest.pipeline).
        return await self._queue_job(url, source, name, requester, mode, artifact_id=None)

    async def start_update(
        self, artifact_id: str, url: str, requester: str, mode: GateMode
    ) -> IngestJob:
        current = await self._artifacts.get(artifact_id)
        source = parse_source(url, current.type)
        other = await self._artifacts.find_named(source.key)
        if other is not None and other.id != current.id:
            raise DuplicateSourceError(other.source.key, other.id)
        return await self._queue_job(
            url, source, current.name, requester, mode, artifact_id=current.id, replaces=current.id
        )

    async def _queue_job(
        self,
        url: str,
        source: SourceRef,
        name: str | None,
        requester: str,
        mode: GateMode,
        *,
        artifact_id: str | None,
        replaces: str | None = None,
    ) -> IngestJob:
        now = utcnow()
        job = IngestJob(
            id=uuid.uuid4().hex,
            url=url,
            type=source.type,
            name=name,
            source_key=source.key,
            requester=requester,
            state=IngestState.QUEUED,
            artifact_id=artifact_id,
            seq=1,
            history=(StateChange(IngestState.QUEUED, now),),
            created_at=now,
            updated_at=now,
            replaces=replaces,
            gate_mode=mode,
            source=source,
        )
        await self._jobs.insert(job)
        record_transition(IngestState.QUEUED.value)
        holder = await self._states.claim(source.key, job.id)
        if holder is not None:
            await self._states.transition(
                job,
                IngestState.FAILED,
                error=IngestError(
                    "superseded", f"an ingest of the same source is in flight: {holder.id}"
                ),
            )
            return holder
        # No QUEUED event: nobody can be watching a job whose id has not been handed out yet,
        # and a watcher starts from the stored document.
        try:
            await self._queue.enqueue(JobName.INGEST, job.id, job_id=job.id)
        except Exception as exc:
            await self._states.finish(
                job,
                IngestState.FAILED,
                IngestError("queue_unavailable", "the job queue is unavailable"),
            )
            raise BackendUnavailableError("the job queue is unavailable") from exc
        return job


def _check_name(name: str | None) -> None:
    if name is None:
        return
    if not name.strip() or len(name) > MAX_NAME_LENGTH or any(ord(c) < 32 for c in name):  # noqa: PLR2004
        raise ValidationError(
            f"name must be 1-{MAX_NAME_LENGTH} printable characters", field="name"
        )
