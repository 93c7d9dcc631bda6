"""The ingest service: accept a request, queue it, run it, and tell everyone how it goes.

Accepting is app.ingest.intake, running app.ingest.pipeline, the state machine
app.ingest.transitions; this module is what transports and workers call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

from app.artifacts.service import ArtifactService
from app.artifacts.sources import parse_source
from app.artifacts.visibility import as_registry
from app.audit.service import AuditService
from app.ingest.entities import IngestError, IngestJob, IngestState
from app.ingest.gating import GATE_CHANNEL, GATE_REJECTED
from app.ingest.intake import IngestIntake
from app.ingest.outcomes import Failed, IngestOutcome, Pending, Rejected, Stored, failure
from app.ingest.pipeline import IngestPipeline
from app.ingest.repository import IngestJobRepository
from app.ingest.rerating import LineageRerating
from app.ingest.transitions import JobStates, progress_channel
from app.kinds import ArtifactType
from app.mirror.service import MirrorService
from app.ports import EventBus, JobQueue
from app.rating.gate import DEFAULT_MODES, EntryPoint, GateMode, GatePolicy
from app.rating.service import RatingService
from app.rescoring.checks import SourceValidators
from app.upstream.clients import Upstream

log = logging.getLogger(__name__)

DEFAULT_TIME_LIMIT_SECONDS = 300.0
#: While watching, re-read the job this often in case a published event was lost.
WATCH_RESYNC_SECONDS = 2.0


class IngestService:
    def __init__(
        self,
        *,
        jobs: IngestJobRepository,
        artifacts: ArtifactService,
        rating: RatingService,
        upstream: Upstream,
        queue: JobQueue,
        events: EventBus,
        audit: AuditService,
        policy: GatePolicy,
        mirror: MirrorService,
        rerating: LineageRerating,
        validators: SourceValidators,
        gate_modes: Mapping[EntryPoint, GateMode] = DEFAULT_MODES,
    ) -> None:
        self._jobs = jobs
        self._artifacts = artifacts
        self._queue = queue
        self._events = events
        self._audit = audit
        self._gate_modes = dict(gate_modes)
        self._states = JobStates(jobs, events, artifacts.reserve_id)
        self._intake = IngestIntake(
            jobs=jobs, states=self._states, artifacts=artifacts, queue=queue
        )
        self._pipeline = IngestPipeline(
            states=self._states,
            artifacts=artifacts,
            rating=rating,
            policy=policy,
            upstream=upstream,
            events=events,
            audit=audit,
            rerating=rerating,
            mirror=mirror,
            validators=validators,
        )

    def gate_mode(self, entry: EntryPoint) -> GateMode:
        return self._gate_modes.get(entry, DEFAULT_MODES[entry])

    async def start(
        self,
        url: str,
        artifact_type: ArtifactType,
        name: str | None,
        requester: str,
        *,
        entry: EntryPoint = EntryPoint.GRAPHQL,
    ) -> IngestJob:
        """Validate and queue an ingest; returns at once. An ingest of the same source that
        is still in flight is returned instead of starting a second one. The job carries the
        gate mode of the entry point it came through."""
        source = parse_source(url, artifact_type)
        return await self._intake.start(source, url, name, requester, self.gate_mode(entry))

    async def start_update(
        self, artifact_id: str, url: str, requester: str, *, entry: EntryPoint = EntryPoint.GRAPHQL
    ) -> IngestJob:
        """Re-ingest a stored artifact from ``url`` through the queue. The stored version
        stays as it is until the new one has passed the gate; then it is replaced, id kept."""
        return await self._intake.start_update(artifact_id, url, requester, self.gate_mode(entry))

    async def run(
        self,
        job_id: str,
        *,
        attempt: int = 1,
        final_attempt: bool = True,
        time_limit: float = DEFAULT_TIME_LIMIT_SECONDS,
    ) -> None:
        """Run one attempt of a queued ingest (the worker's entry). Upstream fetching past
        ``time_limit`` fails the job here, before the queue's own job timeout would cancel it
        and leave it live."""
        job = await self._jobs.get(job_id)
        if job is None:
            log.warning("ingest job %s vanished before it ran", job_id)
            return
        if job.state.terminal:
            return
        await self._pipeline.run(
            job, attempt=attempt, final_attempt=final_attempt, time_limit=time_limit
        )

    async def outcome(self, job: IngestJob, seconds: float) -> IngestOutcome:
        """How the ingest ended, waiting up to ``seconds`` for it. The job is stored and
        queued, so it will run: if waiting for it or reading what it stored fails (pub/sub
        down, a store blip), it is pending, never an error."""
        try:
            job = await self.wait(job, seconds)
            if job.state is IngestState.DONE:
                with as_registry():  # the uploader is answered with what was stored
                    stored = await self._artifacts.get(job.drawn_id)
                return Stored(job, stored)
        except Exception:  # whatever failed, the job itself was accepted
            log.warning("watching accepted ingest %s failed", job.id, exc_info=True)
            return await self._pending(job)
        if job.state is not IngestState.FAILED:
            return await self._pending(job)
        error = job.error or IngestError("internal", "ingest failed")
        if error.code == GATE_REJECTED and job.gate is not None:
            return Rejected(job, job.gate)
        return Failed(job, failure(job, error))

    async def _pending(self, job: IngestJob) -> Pending:
        """Still running: the client polls by the id its artifact will have, drawn now if
        the gate has not passed it yet (should the gate refuse it, that id stays unused)."""
        return Pending(await self._states.with_artifact_id(job))

    async def reset(self) -> None:
        """Back to an empty registry: queued jobs, job documents and in-flight locks,
        artifacts and their bundles, the audit log. Counters stay, so no id is ever handed
        out twice. A job already running finds its document gone and stops."""
        await self._queue.clear()
        await self._jobs.delete_all()
        await self._artifacts.reset()
        await self._audit.reset()

    async def get(self, job_id: str) -> IngestJob:
        return await self._states.get(job_id)

    async def queue_depth(self) -> int:
        """Jobs in the queue, waiting or running."""
        return await self._queue.depth()

    async def abandon(self, job_id: str, error: IngestError) -> IngestJob | None:
        """End a job that no worker will finish (its tries are spent, or the queue lost it)
        and free its source. One whose artifact was stored before its worker died ends DONE."""
        job = await self._jobs.get(job_id)
        if job is None or job.state.terminal:
            return job
        if job.state is IngestState.STORING and job.artifact_id is not None:
            stored = await self._artifacts.find(job.artifact_id)
            if stored is not None and stored.ingest_id == job.id:
                await self._pipeline.record_stored(job, stored)
                return await self._states.finish(job, IngestState.DONE, stored=True)
        log.warning("ingest %s given up: %s", job.id, error.message)
        return await self._pipeline.fail(job, error)

    async def watch_gate(self) -> AsyncIterator[dict[str, Any]]:
        """Every gate decision from now on, as it is made."""
        async with self._events.subscribe(GATE_CHANNEL) as subscription:
            while True:
                event = await subscription.get(WATCH_RESYNC_SECONDS)
                if event is not None:
                    yield dict(event)

    async def watch(self, job_id: str) -> AsyncIterator[IngestJob]:
        """The job's current state, then every later state, ending at DONE or FAILED."""
        async with self._events.subscribe(progress_channel(job_id)) as subscription:
            job = await self.get(job_id)
            yield job
            while not job.state.terminal:
                event = await subscription.get(WATCH_RESYNC_SECONDS)
                latest = (
                    IngestJob.from_event(dict(event))
                    if event is not None
                    else await self.get(job_id)
                )
                if _progress(latest) > _progress(job):
                    job = latest
                    yield job

    async def wait(self, job: IngestJob, seconds: float) -> IngestJob:
        """The job's latest state once it ends, or after ``seconds`` if it has not."""
        latest = job
        if seconds <= 0:
            return latest
        try:
            async with asyncio.timeout(seconds):
                async for state in self.watch(job.id):
                    latest = state
        except TimeoutError:
            pass
        return latest


def _progress(job: IngestJob) -> tuple[int, int, int]:
    """Order of a job's updates: its state changes, then within a state metric results and
    bytes of files copied."""
    return job.seq, len(job.scores), sum(f.done for f in job.files)
