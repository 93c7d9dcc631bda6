"""Moving an ingest job through its states, and the one-ingest-per-source locks.

Every state change is written to the job document first and published second, so a
subscriber that reads the document after subscribing never misses the outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any

from app.clock import utcnow
from app.errors import BackendUnavailableError
from app.ingest.entities import (
    ALLOWED_TRANSITIONS,
    IngestError,
    IngestJob,
    IngestState,
    lock_key,
)
from app.ingest.errors import IngestJobNotFoundError
from app.ingest.repository import IngestJobRepository
from app.observability.metrics import record_transition
from app.ports import Event, EventBus

log = logging.getLogger(__name__)


def progress_channel(job_id: str) -> str:
    return f"ingest:{job_id}"


class JobStates:
    def __init__(
        self, jobs: IngestJobRepository, events: EventBus, draw_id: Callable[[], Awaitable[str]]
    ) -> None:
        self._jobs = jobs
        self._events = events
        self._draw_id = draw_id  # the next artifact id (the store's counter)

    async def get(self, job_id: str) -> IngestJob:
        job = await self._jobs.get(job_id)
        if job is None:
            raise IngestJobNotFoundError(job_id)
        return job

    async def with_artifact_id(self, job: IngestJob) -> IngestJob:
        """The job with the id its artifact is stored under, drawn now if it has none yet.
        The worker past the gate and a client told to poll may both ask: the first id written
        is the job's for good."""
        if job.artifact_id is not None:
            return job
        drawn = (await self.get(job.id)).artifact_id
        if drawn is None:
            given = await self._jobs.give_artifact_id(job.id, await self._draw_id())
            if given is None:
                raise IngestJobNotFoundError(job.id)
            drawn = given.artifact_id
        # The caller's job with the id, not the stored one: what it has settled and not yet
        # written (the source's canonical id) goes with its next transition. The id is set
        # without a step, so its ``seq`` still matches the store's.
        return replace(job, artifact_id=drawn)

    async def claim(self, source_key: str, job_id: str) -> IngestJob | None:
        """Take the source's in-flight lock; the job holding it, if another live one does."""
        key = lock_key(source_key)
        for _ in range(3):
            holder_id = await self._jobs.acquire_source(key, job_id)
            if holder_id is None or holder_id == job_id:  # free, or ours from a past attempt
                return None
            holder = await self._jobs.get(holder_id)
            if holder is not None and not holder.state.terminal:
                return holder
            await self._jobs.release_source(key, holder_id)  # left by a crashed run
        raise BackendUnavailableError("could not take the ingest lock for this source")

    async def finish(
        self,
        job: IngestJob,
        state: IngestState,
        error: IngestError | None = None,
        **fields: Any,  # noqa: ANN401 - entity fields, checked by dataclasses.replace
    ) -> IngestJob:
        job = await self.transition(job, state, error=error, **fields)
        for key in job.locks:
            await self._jobs.release_source(key, job.id)
        return job

    async def transition(
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
