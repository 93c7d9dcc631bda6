"""The ingest pipeline: accept a request, queue it, run it, and tell everyone how it goes.

Every state change is written to the job document first and published second, so a
subscriber that reads the document after subscribing never misses the outcome.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Any

from app.artifacts.entities import Artifact, ArtifactType, SourceHost, SourceRef
from app.artifacts.errors import DuplicateSourceError
from app.artifacts.service import ArtifactService, NewArtifact
from app.artifacts.sources import parse_source
from app.audit.entities import AuditAction, AuditedArtifact
from app.audit.service import AuditService
from app.clock import utcnow
from app.errors import AppError, BackendUnavailableError, ValidationError
from app.ingest.entities import (
    ALLOWED_TRANSITIONS,
    IngestError,
    IngestJob,
    IngestState,
    StateChange,
)
from app.ingest.errors import IngestJobNotFoundError, IngestTimeoutError
from app.ingest.progress import ScoreProgress
from app.ingest.repository import IngestJobRepository
from app.observability.metrics import record_gate_decision, record_transition
from app.ports import Event, EventBus, JobName, JobQueue
from app.rating.entities import GateDecision
from app.rating.service import RatingService, Scored
from app.upstream.clients import Upstream
from app.upstream.session import Subject
from app.upstream.snapshots import fetch_snapshot

log = logging.getLogger(__name__)

MAX_NAME_LENGTH = 255
DEFAULT_TIME_LIMIT_SECONDS = 300.0
#: While watching, re-read the job this often in case a published event was lost.
WATCH_RESYNC_SECONDS = 2.0


GATE_CHANNEL = "gate"


def progress_channel(job_id: str) -> str:
    return f"ingest:{job_id}"


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
    ) -> None:
        self._rating = rating
        self._jobs = jobs
        self._artifacts = artifacts
        self._upstream = upstream
        self._queue = queue
        self._events = events
        self._audit = audit

    async def start(
        self, url: str, artifact_type: ArtifactType, name: str | None, requester: str
    ) -> IngestJob:
        """Validate and queue an ingest; returns at once. An ingest of the same source that
        is still in flight is returned instead of starting a second one."""
        _check_name(name)
        source = parse_source(url, artifact_type)
        existing = await self._artifacts.find_by_source(source.key)
        if existing is not None:
            raise DuplicateSourceError(source.key, existing.id)
        return await self._queue_job(
            url, source, name, requester, artifact_id=await self._artifacts.reserve_id()
        )

    async def start_update(self, artifact_id: str, url: str, requester: str) -> IngestJob:
        """Re-ingest a stored artifact from ``url`` through the queue. The stored version
        stays as it is until the new one has passed the gate; then it is replaced, id kept."""
        current = await self._artifacts.get(artifact_id)
        source = parse_source(url, current.type)
        other = await self._artifacts.find_by_source(source.key)
        if other is not None and other.id != current.id:
            raise DuplicateSourceError(source.key, other.id)
        return await self._queue_job(
            url, source, current.name, requester, artifact_id=current.id, replaces=current.id
        )

    async def _queue_job(
        self,
        url: str,
        source: SourceRef,
        name: str | None,
        requester: str,
        *,
        artifact_id: str,
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
        )
        await self._jobs.insert(job)
        record_transition(IngestState.QUEUED.value)
        holder = await self._claim(source.key, job.id)
        if holder is not None:
            await self._transition(
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
            await self._finish(
                job,
                IngestState.FAILED,
                IngestError("queue_unavailable", "the job queue is unavailable"),
            )
            raise BackendUnavailableError("the job queue is unavailable") from exc
        return job

    async def reset(self) -> None:
        """Back to an empty registry: queued jobs, job documents and in-flight locks,
        artifacts and their bundles, the audit log. Counters stay, so no id is ever handed
        out twice. A job already running finds its document gone and stops."""
        await self._queue.clear()
        await self._jobs.delete_all()
        await self._artifacts.reset()
        await self._audit.reset()

    async def get(self, job_id: str) -> IngestJob:
        job = await self._jobs.get(job_id)
        if job is None:
            raise IngestJobNotFoundError(job_id)
        return job

    async def queue_depth(self) -> int:
        """Jobs in the queue, waiting or running."""
        return await self._queue.depth()

    async def run(
        self,
        job_id: str,
        *,
        attempt: int = 1,
        final_attempt: bool = True,
        time_limit: float = DEFAULT_TIME_LIMIT_SECONDS,
    ) -> None:
        """Run one attempt of a queued ingest (the worker's entry). Retryable failures are
        raised for the queue to retry unless this is the final attempt; every other outcome
        ends the job in DONE or FAILED. Upstream fetching past ``time_limit`` fails the job here,
        before the queue's own job timeout would cancel it and leave it live."""
        job = await self._jobs.get(job_id)
        if job is None:
            log.warning("ingest job %s vanished before it ran", job_id)
            return
        if job.state.terminal:
            return
        job = await self._transition(job, IngestState.FETCHING, attempts=attempt)
        try:
            await self._fetch_and_store(job, time_limit)
        except AppError as exc:
            if exc.retryable and not final_attempt:
                raise
            await self._finish(job, IngestState.FAILED, IngestError(exc.code, exc.message))
        except Exception:
            log.exception("ingest %s failed unexpectedly", job.id)
            await self._finish(
                job, IngestState.FAILED, IngestError("internal", "internal error while ingesting")
            )

    async def _fetch_and_store(self, job: IngestJob, time_limit: float) -> IngestJob:
        source = parse_source(job.url, job.type)
        scored: Scored | None = None
        # Only the upstream part is bounded: once fetched, storing runs to its end, so a
        # timeout never leaves a stored artifact behind a FAILED job.
        try:
            async with (
                asyncio.timeout(time_limit),
                # An update reads the links afresh too: the user may have just fixed them.
                self._upstream.session(
                    subject=_subject(source), shared_links=job.replaces is None
                ) as upstream,
            ):
                snapshot = await fetch_snapshot(source, upstream)
                if source.type is ArtifactType.MODEL:
                    job = await self._transition(job, IngestState.SCORING)
                    progress = ScoreProgress(job, self.publish_progress)
                    try:
                        scored = await self._rating.score(
                            source.repo_id,
                            upstream,
                            self._artifacts.registered_parents,
                            on_result=progress.record,
                        )
                    except BaseException:
                        progress.abandon()  # the job's outcome supersedes partial results
                        raise
                    await progress.drain()
                    job = progress.job
        except TimeoutError:
            raise IngestTimeoutError(time_limit) from None
        rating = None
        if scored is not None:
            decision = self._rating.gate(scored.rating)
            rating = replace(scored.rating, gate=decision)
            _log_gate(job, decision, rating.net_score)
            # A passed model goes on to STORING in the same write as GATED.
            job = await self._transition(
                job,
                IngestState.STORING if decision.passed else IngestState.GATED,
                via=(IngestState.GATED,) if decision.passed else (),
                also_publish=[(GATE_CHANNEL, gate_event(job, decision, rating.net_score))],
                gate=decision,
                scores=rating.metrics,
                net_score=rating.net_score,
            )
            if not decision.passed:
                # The artifact never exists: the entry keeps the id the job reserved for it.
                await self._audit.record(
                    AuditAction.REJECT,
                    AuditedArtifact(job.artifact_id, job.name or source.default_name, job.type),
                    user=job.requester,
                    key=f"ingest:{job.id}:reject",
                )
                return await self._finish(
                    job,
                    IngestState.FAILED,
                    IngestError("gate_rejected", _rejection_summary(decision)),
                )
        if not job.state.terminal and job.state is not IngestState.STORING:  # no rating
            job = await self._transition(job, IngestState.STORING)
        if job.state.terminal:  # ended meanwhile, given up on as crashed: store nothing
            return job
        artifact = await self._artifacts.store(
            NewArtifact(
                id=job.artifact_id,
                name=job.name or source.default_name,
                source_url=job.url,
                source=source,
                snapshot=snapshot,
                requester=job.requester,
                ingest_id=job.id,
                rating=rating,
                links=None if scored is None else scored.links,
                replaces=job.replaces is not None,
            )
        )
        await self._record_stored(job, artifact)
        return await self._finish(job, IngestState.DONE, stored=True)

    async def _record_stored(self, job: IngestJob, artifact: Artifact) -> None:
        # Keyed by the job: a retried job that stored the artifact already records nothing new.
        actions = [
            (
                AuditAction.CREATE if job.replaces is None else AuditAction.UPDATE,
                f"ingest:{job.id}:create",
            )
        ]
        if artifact.rating is not None:  # the model was rated: its scores are on record
            actions.append((AuditAction.RATE, f"ingest:{job.id}:rate"))
        await self._audit.record_each(actions, AuditedArtifact.of(artifact), user=job.requester)

    async def abandon(self, job_id: str, error: IngestError) -> IngestJob | None:
        """End a job that no worker will finish (its tries are spent, or the queue lost it)
        and free its source. One whose artifact was stored before its worker died ends DONE."""
        job = await self._jobs.get(job_id)
        if job is None or job.state.terminal:
            return job
        if job.state is IngestState.STORING:
            stored = await self._artifacts.find(job.artifact_id)
            if stored is not None and stored.ingest_id == job.id:
                await self._record_stored(job, stored)
                return await self._finish(job, IngestState.DONE, stored=True)
        log.warning("ingest %s given up: %s", job.id, error.message)
        return await self._finish(job, IngestState.FAILED, error)

    async def watch_gate(self) -> AsyncIterator[dict[str, Any]]:
        """Every gate decision from now on, as it is made."""
        async with self._events.subscribe(GATE_CHANNEL) as subscription:
            while True:
                event = await subscription.get(WATCH_RESYNC_SECONDS)
                if event is not None:
                    yield dict(event)

    async def publish_progress(self, job: IngestJob) -> None:
        """Publish metric results while the job is SCORING. Results are persisted all
        together with the GATED transition: a write per metric would cost more than the
        scoring, and a watcher that reconnects gets them from the next state anyway."""
        await self._events.publish(progress_channel(job.id), job.to_event())

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

    async def _claim(self, source_key: str, job_id: str) -> IngestJob | None:
        """Take the source's in-flight lock; the job holding it, if another live one does."""
        for _ in range(3):
            holder_id = await self._jobs.acquire_source(source_key, job_id)
            if holder_id is None:
                return None
            holder = await self._jobs.get(holder_id)
            if holder is not None and not holder.state.terminal:
                return holder
            await self._jobs.release_source(source_key, holder_id)  # left by a crashed run
        raise BackendUnavailableError("could not take the ingest lock for this source")

    async def _finish(
        self,
        job: IngestJob,
        state: IngestState,
        error: IngestError | None = None,
        **fields: Any,  # noqa: ANN401 - entity fields, checked by dataclasses.replace
    ) -> IngestJob:
        job = await self._transition(job, state, error=error, **fields)
        await self._jobs.release_source(job.source_key, job.id)
        return job

    async def _transition(
        self,
        job: IngestJob,
        state: IngestState,
        error: IngestError | None = None,
        *,
        via: tuple[IngestState, ...] = (),
        also_publish: Sequence[tuple[str, Event]] = (),
        **fields: Any,  # noqa: ANN401 - entity fields, checked by dataclasses.replace
    ) -> IngestJob:
        """Move the job to ``state``; states in ``via`` are passed through on the way, with
        one write for all of them and an event for each, published in one round trip
        followed by ``also_publish``."""
        previous = job.state
        for step in (*via, state):
            if step not in ALLOWED_TRANSITIONS.get(previous, frozenset()):
                raise RuntimeError(f"ingest {job.id}: {previous} -> {step} is not allowed")
            previous = step
        if error is not None:
            fields["error"] = error
        updated = await self._jobs.transition(job, state, utcnow(), via=via, **fields)
        if updated is None:  # finished meanwhile by another attempt: report what it is now
            return await self.get(job.id)
        for step in (*via, state):
            record_transition(step.value)
        first = len(updated.history) - len(via) - 1
        passed = [  # the job as it stood in each state passed through
            replace(
                updated,
                state=step,
                seq=updated.seq - len(via) + k,
                history=updated.history[: first + k + 1],
            )
            for k, step in enumerate(via)
        ]
        channel = progress_channel(updated.id)
        try:
            await self._events.publish_many(
                [*((channel, j.to_event()) for j in (*passed, updated)), *also_publish]
            )
        except Exception:
            # An event bus outage must not end the ingest. The document is the truth and
            # watchers re-read it: a lost event only delays them.
            log.warning("could not publish the state of ingest %s", updated.id, exc_info=True)
        return updated


def _progress(job: IngestJob) -> tuple[int, int]:
    """Order of a job's updates: its state changes, then metric results within a state."""
    return job.seq, len(job.scores)


def gate_event(job: IngestJob, decision: GateDecision, net_score: float) -> dict[str, Any]:
    return {
        "job_id": job.id,
        "url": job.url,
        "source_key": job.source_key,
        "net_score": net_score,
        **decision.to_dict(),
    }


def _rejection_summary(decision: GateDecision) -> str:
    parts = [f"{f.metric} {f.score:.2f} < {f.required:.2f}" for f in decision.failures]
    return "rejected by the quality gate: " + "; ".join(parts)


def _log_gate(job: IngestJob, decision: GateDecision, net_score: float) -> None:
    """Each decision as operators look for it: an event per outcome, with what decided it."""
    record_gate_decision(passed=decision.passed)
    fields = {
        "job_id": job.id,
        "source_key": job.source_key,
        "net_score": round(net_score, 4),
        "policy_version": decision.policy_version,
    }
    if decision.passed:
        log.info("gate_passed", extra=fields)
    else:
        log.warning("gate_rejected", extra={**fields, "failures": decision.to_dict()["failures"]})


def _subject(source: SourceRef) -> Subject:
    """The upstream repository an ingest is about: always read fresh, never from the cache."""
    kind = "github" if source.host is SourceHost.GITHUB else source.type.value
    return kind, source.repo_id


def _check_name(name: str | None) -> None:
    if name is None:
        return
    if not name.strip() or len(name) > MAX_NAME_LENGTH or any(ord(c) < 32 for c in name):  # noqa: PLR2004
        raise ValidationError(
            f"name must be 1-{MAX_NAME_LENGTH} printable characters", field="name"
        )
