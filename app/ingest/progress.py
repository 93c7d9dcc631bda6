"""Progress published while a model is scored (metric results) and mirrored (bytes per file)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace

from app.ingest.entities import IngestJob
from app.mirror.entities import FileProgress
from app.rating.entities import MetricScore

log = logging.getLogger(__name__)


class JobProgress:
    """Publishes a job's progress as it is made. Changes arriving while a publish is on its
    way go out together in the next one, so a burst of results costs one message rather than
    one each, and every message carries all progress so far.

    Publishing them is best effort: they are stored with the next transition, which a watcher
    gets (or reads) anyway, so a failed publish is logged and never fails the ingest."""

    def __init__(self, job: IngestJob, publish: Callable[[IngestJob], Awaitable[None]]) -> None:
        self._publish_job = publish
        self._publisher: asyncio.Task[None] | None = None
        self._unpublished = False
        self.job = job

    async def record(self, score: MetricScore) -> None:
        self.update(lambda job: replace(job, scores=(*job.scores, score)))

    async def copied(self, progress: FileProgress) -> None:
        """One file's copy advanced: its entry replaced in place, others kept in order."""

        def step(job: IngestJob) -> IngestJob:
            files = {f.path: f for f in job.files}
            files[progress.path] = progress
            return replace(job, files=tuple(files.values()))

        self.update(step)

    def update(self, change: Callable[[IngestJob], IngestJob]) -> None:
        self.job = change(self.job)
        if self._publisher is None or self._publisher.done():
            self._publisher = asyncio.create_task(self._publish())
        else:
            self._unpublished = True

    async def drain(self) -> None:
        """Wait until every result so far has been published (or failed to be)."""
        while self._publisher is not None and not self._publisher.done():
            await asyncio.wait([self._publisher])

    def abandon(self) -> None:
        if self._publisher is not None:
            self._publisher.cancel()

    async def _publish(self) -> None:
        while True:
            self._unpublished = False
            try:
                await self._publish_job(self.job)
            except Exception:
                log.warning(
                    "could not publish the progress of ingest %s", self.job.id, exc_info=True
                )
            if not self._unpublished:
                return
