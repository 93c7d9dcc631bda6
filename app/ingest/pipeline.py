"""Running one ingest in a worker: fetch, settle the source's identity, score, gate, store,
and bring the lineage's tree scores in line.

Every transition goes through :class:`JobStates`, so it is written before it is published.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace

from app.artifacts.entities import Artifact, SourceRef
from app.artifacts.errors import DuplicateSourceError
from app.artifacts.rating_events import publish_rating
from app.artifacts.service import ArtifactService, NewArtifact
from app.artifacts.sources import canonical, parse_source
from app.audit.entities import AuditAction, AuditedArtifact
from app.audit.service import AuditService
from app.errors import AppError
from app.ingest.entities import IngestError, IngestJob, IngestState
from app.ingest.errors import IngestTimeoutError
from app.ingest.fetching import FetchedSource, fetch_source
from app.ingest.gating import (
    GATE_CHANNEL,
    GATE_REJECTED,
    gate_event,
    log_decision,
    rejection_summary,
)
from app.ingest.progress import JobProgress
from app.ingest.rerating import LineageRerating
from app.ingest.transitions import JobStates, progress_channel
from app.kinds import ArtifactType, SourceHost
from app.mirror.entities import Manifest
from app.mirror.service import MirrorService
from app.outages import outage
from app.ports import EventBus
from app.rating.entities import GateDecision, Rating
from app.rating.gate import GatePolicy
from app.rating.service import RatingService, Scored
from app.rescoring.checks import SourceValidators
from app.upstream.clients import Upstream, UpstreamView
from app.upstream.session import Subject

log = logging.getLogger(__name__)


@dataclass
class _Attempt:
    """The job as the attempt last left it: what a failure ends, locks included."""

    job: IngestJob


class IngestPipeline:
    def __init__(
        self,
        *,
        states: JobStates,
        artifacts: ArtifactService,
        rating: RatingService,
        policy: GatePolicy,
        upstream: Upstream,
        events: EventBus,
        audit: AuditService,
        rerating: LineageRerating,
        mirror: MirrorService,
        validators: SourceValidators,
    ) -> None:
        self._states = states
        self._artifacts = artifacts
        self._rating = rating
        self._policy = policy
        self._upstream = upstream
        self._events = events
        self._audit = audit
        self._rerating = rerating
        self._mirror = mirror
        self._validators = validators

    async def run(
        self, job: IngestJob, *, attempt: int, final_attempt: bool, time_limit: float
    ) -> None:
        """One attempt of a queued ingest. Retryable failures are raised for the queue to
        retry unless this is the final attempt; every other outcome ends the job in DONE or
        FAILED."""
        current = _Attempt(
            await self._states.transition(job, IngestState.FETCHING, attempts=attempt)
        )
        try:
            await self._fetch_and_store(current, time_limit)
        except AppError as exc:
            if exc.retryable and not final_attempt:
                raise
            await self.fail(current.job, _error_of(exc))
        except Exception as exc:
            # The worker reaches the stores past the services' outage guard: a backend that
            # blinked is retried like any retryable error, not taken for a bug.
            if (unavailable := outage(exc)) is not None:
                if not final_attempt:
                    raise unavailable from exc
                await self.fail(current.job, _error_of(unavailable))
                return
            log.exception("ingest %s failed unexpectedly", job.id)
            await self.fail(
                current.job,
                IngestError("internal", "internal error while ingesting"),
            )

    async def fail(self, job: IngestJob, error: IngestError) -> IngestJob:
        """End the job FAILED, giving back the file copies earlier attempts kept for it."""
        ended = await self._states.finish(job, IngestState.FAILED, error)
        if (
            job.type is not ArtifactType.MODEL
            or ended.state is not IngestState.FAILED
            or ended.artifact_id is None  # never past the gate: nothing was copied
        ):
            return ended
        try:
            kept = await self._artifacts.find(ended.artifact_id) if job.replaces else None
            await self._mirror.abandon(ended.artifact_id, None if kept is None else kept.manifest)
        except Exception:
            log.warning("ingest %s: could not give back its file copies", job.id, exc_info=True)
        return ended

    async def _fetch_and_store(self, current: _Attempt, time_limit: float) -> None:
        source, fetched, scored = await self._fetch_and_score(current, time_limit)
        # The sources' validators are learned while the model is gated, copied and stored.
        learning = (
            None
            if scored is None
            else asyncio.ensure_future(self._learn(source.repo_id, scored.rating, current.job.id))
        )
        try:
            await self._keep(current, source, fetched, scored, learning)
        finally:
            if learning is not None and not learning.done():
                learning.cancel()  # rejected or failed: nothing to rescore

    async def _fetch_and_score(
        self, current: _Attempt, time_limit: float
    ) -> tuple[SourceRef, FetchedSource, Scored | None]:
        job = current.job
        source = job.source or parse_source(job.url, job.type)  # a job queued before sources
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
                fetched = await fetch_source(source, upstream)
                source = await self._settle_identity(current, source, fetched)
                job = current.job
                if source.type is ArtifactType.MODEL:
                    job = current.job = await self._states.transition(job, IngestState.SCORING)
                    scored = await self._score(current, source, upstream)
                    job = current.job
        except TimeoutError:
            raise IngestTimeoutError(time_limit) from None
        return source, fetched, scored

    async def _keep(
        self,
        current: _Attempt,
        source: SourceRef,
        fetched: FetchedSource,
        scored: Scored | None,
        learning: asyncio.Future[None] | None,
    ) -> None:
        """Gate, copy and store what was fetched and scored, and end the job DONE."""
        job = current.job
        rating = None
        if scored is not None:
            decision = self._policy.evaluate(scored.rating.metrics, scored.rating.net_score)
            rating = replace(scored.rating, gate=decision)
            job = current.job = await self._gate(job, source, rating, decision)
            if job.state.terminal:  # rejected
                return
        manifest = None
        if job.state is IngestState.MIRRORING:
            manifest = await self._copy_files(current, source, fetched)
            job = current.job = await self._states.transition(
                current.job, IngestState.STORING, files=current.job.files
            )
        if not job.state.terminal and job.state is not IngestState.STORING:  # no rating
            job = await self._states.with_artifact_id(job)
            job = current.job = await self._states.transition(job, IngestState.STORING)
        if job.state.terminal:  # ended meanwhile, given up on as crashed: store nothing
            return
        artifact = await self._artifacts.store(
            NewArtifact(
                id=job.drawn_id,
                name=job.name or source.default_name,
                source_url=job.url,
                source=source,
                snapshot=fetched.snapshot,
                requester=job.requester,
                ingest_id=job.id,
                rating=rating,
                links=None if scored is None else scored.links,
                replaces=job.replaces is not None,
                gate_mode=job.gate_mode,
                alias=job.source_key if job.source_key != source.key else None,
                provenance=fetched.provenance,
                manifest=manifest,
            )
        )
        await self.record_stored(job, artifact)
        await publish_rating(self._events, artifact)
        await self._rerate_lineage(artifact, job.id)
        if learning is not None:
            await learning
        await self._states.finish(job, IngestState.DONE, stored=True)

    async def _rerate_lineage(self, artifact: Artifact, job_id: str) -> None:
        try:
            await self._rerating.after_store(artifact, job_id)
        except Exception:
            # The artifact is stored: its job is done. Its relatives keep their ratings until
            # the next change in their lineage.
            log.warning("ingest %s: could not re-rate the lineage", job_id, exc_info=True)

    async def _learn(self, model_id: str, rating: Rating, job_id: str) -> None:
        try:
            await self._validators.learn(model_id, rating.revisions)
        except Exception:
            # The first rescore learns them instead, without a validator to send.
            log.warning("ingest %s: could not learn its sources' validators", job_id, exc_info=True)

    async def _settle_identity(
        self, current: _Attempt, source: SourceRef, fetched: FetchedSource
    ) -> SourceRef:
        """The source under the id its hub answered with. When that is not the id the client
        named, the job takes the canonical id's lock too, and a repository registered (or
        being registered) under it ends the job as a conflict naming that artifact."""
        settled = canonical(source, fetched.upstream_id)
        current.job = replace(current.job, source=settled)  # its locks are the job's now
        if settled.key == source.key:
            return settled
        job = current.job
        holder = await self._states.claim(settled.key, job.id)
        # another ingest of it, unless both are updates of the one artifact
        if holder is not None and (job.replaces is None or holder.artifact_id != job.replaces):
            # The conflict names the artifact the client's source will be found under.
            holder = await self._states.with_artifact_id(holder)
            raise DuplicateSourceError(
                settled.key,
                holder.artifact_id,
                message=f"{settled.key} is being registered as artifact {holder.artifact_id}",
            )
        other = await self._artifacts.find_by_source(settled.key)
        if other is not None and other.id != job.replaces:
            await self._artifacts.add_alias(other.id, job.source_key)
            raise DuplicateSourceError(settled.key, other.id)
        return settled

    async def _score(self, current: _Attempt, source: SourceRef, upstream: UpstreamView) -> Scored:
        progress = JobProgress(current.job, self._publish_progress)
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
        current.job = progress.job
        return scored

    async def _copy_files(
        self, current: _Attempt, source: SourceRef, fetched: FetchedSource
    ) -> Manifest:
        """The model's files into the blob store (``app.mirror``), progress published per file.
        An update keeps what the version it replaces holds, whatever happens here."""
        job = current.job
        revision = fetched.snapshot.revision or "main"
        kept = await self._artifacts.find(job.drawn_id) if job.replaces else None
        progress = JobProgress(job, self._publish_progress)
        try:
            async with self._upstream.session(subject=_subject(source)) as upstream:
                hub = upstream.hf

                def open_file(path: str) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
                    return hub.open_file(source.repo_id, path, revision=revision)

                return await self._mirror.mirror(
                    job.drawn_id,
                    fetched.snapshot.repo_files,
                    open_file,
                    lambda path: hub.file_url(source.repo_id, path, revision=revision),
                    progress.copied,
                    keep=None if kept is None else kept.manifest,
                )
        finally:
            await progress.drain()
            current.job = progress.job

    async def _gate(
        self, job: IngestJob, source: SourceRef, rating: Rating, decision: GateDecision
    ) -> IngestJob:
        """Record and publish the decision; an enforcing gate's rejection ends the job."""
        log_decision(
            job_id=job.id,
            source_key=source.key,
            decision=decision,
            net_score=rating.net_score,
            mode=job.gate_mode,
        )
        refused = job.gate_mode.refuses(decision)
        if not refused:  # it will be stored: now it takes an id
            job = await self._states.with_artifact_id(job)
        event = gate_event(
            job_id=job.id,
            url=job.url,
            source_key=source.key,
            net_score=rating.net_score,
            decision=decision,
            mode=job.gate_mode,
            artifact_id=None if refused else job.artifact_id,
        )
        # A model that goes on is copied, then stored: the next state in the same write as GATED.
        job = await self._states.transition(
            job,
            IngestState.GATED if refused else IngestState.MIRRORING,
            via=() if refused else (IngestState.GATED,),
            also_publish=[(GATE_CHANNEL, event)],
            gate=decision,
            scores=rating.metrics,
            net_score=rating.net_score,
        )
        if not refused:
            return job
        # The artifact never exists and took no id: the entry names the refused job (or the
        # id a client waiting on it was told to poll).
        await self._audit.record(
            AuditAction.REJECT,
            AuditedArtifact(job.artifact_id or job.id, job.name or source.default_name, job.type),
            user=job.requester,
            key=f"ingest:{job.id}:reject",
        )
        return await self._states.finish(
            job, IngestState.FAILED, IngestError(GATE_REJECTED, rejection_summary(decision))
        )

    async def record_stored(self, job: IngestJob, artifact: Artifact) -> None:
        # Keyed by the job: a retried job that stored the artifact already records nothing new.
        actions = [
            (
                AuditAction.CREATE if job.replaces is None else AuditAction.UPDATE,
                f"ingest:{job.id}:create",
            )
        ]
        if artifact.rating is not None:  # the model was rated: its scores are on record
            actions.append((AuditAction.RATE, f"ingest:{job.id}:rate"))
        await self._audit.record_each(actions, artifact.audited(), user=job.requester)

    async def _publish_progress(self, job: IngestJob) -> None:
        """Metric results while the job is SCORING. They are persisted all together with the
        GATED transition: a write per metric would cost more than the scoring, and a watcher
        that reconnects gets them from the next state anyway."""
        await self._events.publish(progress_channel(job.id), job.to_event())


def _error_of(exc: AppError) -> IngestError:
    existing = exc.existing_id if isinstance(exc, DuplicateSourceError) else None
    return IngestError(exc.code, exc.message, existing_id=existing)


def _subject(source: SourceRef) -> Subject:
    """The upstream repository an ingest is about: always read fresh, never from the cache."""
    kind = "github" if source.host is SourceHost.GITHUB else source.type.value
    return kind, source.repo_id
