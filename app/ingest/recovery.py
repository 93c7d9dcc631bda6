"""Every ingest job ends (DESIGN §9): a job a dead worker took is handed to a live one within
seconds, a job whose tries all died ends FAILED, and a job nothing in the queue stands behind
any more is queued again or ended.

Which worker runs a job is known from the workers' heartbeats: each lists the jobs it runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from app.artifacts.service import bundle_key
from app.clock import utcnow
from app.ingest.entities import IngestError, IngestJob, IngestState
from app.ingest.repository import IngestJobRepository
from app.ingest.service import IngestService
from app.ports import BlobStore, JobName, JobQueue, WorkerRegistry

log = logging.getLogger(__name__)

WORKER_CRASHED = "worker_crashed"
JOB_LOST = "job_lost"
#: Job documents looked at in one pass, oldest first. Under a backlog of more unfinished jobs
#: than this, all older than the grace, a lost job waits until the backlog shrinks.
PASS_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Reconciled:
    """What one pass did, by job id."""

    released: tuple[str, ...] = ()  # taken by a dead worker: free for a live one
    requeued: tuple[str, ...] = ()  # lost by the queue: queued again
    ended: tuple[str, ...] = ()  # lost with no tries left: FAILED
    freed: tuple[str, ...] = ()  # sources whose lock outlived its job


class IngestRecovery:
    def __init__(
        self,
        *,
        ingest: IngestService,
        jobs: IngestJobRepository,
        queue: JobQueue,
        workers: WorkerRegistry,
        blobs: BlobStore,
        max_tries: int,
        dead_after: float,
        orphan_after: float,
    ) -> None:
        """``dead_after``: how long ago a job must have been taken, with no live worker
        listing it, for its worker to be dead. ``orphan_after``: how long an unfinished job
        with nothing queued behind it is left alone (it may be about to be queued)."""
        self._ingest = ingest
        self._jobs = jobs
        self._queue = queue
        self._workers = workers
        self._blobs = blobs
        self._max_tries = max_tries
        self._dead_after = dead_after
        self._orphan_after = orphan_after

    async def tries_exhausted(self, job_id: str) -> None:
        """The queue will not run the job again: each of its tries ended without an outcome,
        which only a worker dying (or stopped) mid-job does."""
        await self._end(job_id, self._crashed())

    async def reconcile(self) -> Reconciled:
        # Read what is alive before the job documents: a job that starts or finishes in
        # between is then seen alive, or finished, never lost.
        running = frozenset().union(*(w.running for w in await self._workers.live()))
        snapshot = await self._queue.snapshot()
        released = [
            job_id
            for job_id, age in snapshot.taken.items()
            if job_id not in running and age >= self._dead_after
        ]
        released = [job_id for job_id in released if await self._queue.release(job_id)]
        for job_id in released:
            log.warning("ingest %s was taken by a worker that is gone: queued again", job_id)
        unchanged_since = utcnow() - timedelta(seconds=self._orphan_after)
        requeued: list[str] = []
        ended: list[str] = []
        for job in await self._jobs.unfinished(unchanged_since=unchanged_since, limit=PASS_LIMIT):
            if job.id in snapshot.held or job.id in running:
                continue
            if await self._requeue(job):
                requeued.append(job.id)
            else:
                await self._end(job.id, self._lost(job))
                ended.append(job.id)
        freed = []
        for source, job_id in await self._jobs.stale_locks(PASS_LIMIT):
            await self._jobs.release_source(source, job_id)
            freed.append(source)
        return Reconciled(tuple(released), tuple(requeued), tuple(ended), tuple(freed))

    async def _requeue(self, job: IngestJob) -> bool:
        if job.attempts >= self._max_tries:
            return False
        # Refused when the queue still remembers the job as finished.
        queued = await self._queue.enqueue(JobName.INGEST, job.id, job_id=job.id)
        if queued:
            log.warning("ingest %s had nothing queued behind it: queued again", job.id)
        return queued

    def _lost(self, job: IngestJob) -> IngestError:
        if job.attempts >= self._max_tries:
            return self._crashed()
        return IngestError(JOB_LOST, "the job queue lost this ingest before it finished")

    def _crashed(self) -> IngestError:
        return IngestError(
            WORKER_CRASHED,
            f"the worker running this ingest stopped before it finished, "
            f"on each of its {self._max_tries} tries",
        )

    async def _end(self, job_id: str, error: IngestError) -> None:
        job = await self._ingest.abandon(job_id, error)
        if (
            job is not None
            and job.state is IngestState.FAILED
            and job.error == error
            and job.artifact_id is not None
        ):
            # A worker that died between writing the bundle and the document left the
            # bundle behind.
            await self._blobs.delete(bundle_key(job.artifact_id, job.id))
