"""How the worker is assembled. ``build_worker`` must run inside the event loop that will run
the worker: arq binds its tasks to the loop current at construction."""

from __future__ import annotations

import asyncio
import contextlib

from arq import Worker, func
from arq.connections import RedisSettings

from app.ports import JobName
from app.settings import Settings
from workers.context import shutdown, startup_for
from workers.jobs.ingest import run_ingest


class RegistryWorker(Worker):
    """arq's worker, minus a cost that grows with concurrency: a job stays in the queue until
    it finishes, and whenever a slot is free arq re-checks every queued job on every poll
    (three Redis round trips each), including those this worker is running. With dozens of
    running jobs and a 50 ms poll that was hundreds of round trips a second, all the while
    jobs started and finished; they are skipped here."""

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        await super().start_jobs([j for j in job_ids if not self._running_here(j.decode())])

    def _running_here(self, job_id: str) -> bool:
        task = self.tasks.get(job_id)
        return task is not None and not task.done()


def build_worker(
    settings: Settings,
    *,
    burst: bool = False,
    poll_delay: float = 0.05,
    handle_signals: bool = False,
) -> RegistryWorker:
    if settings.redis_url is None:
        raise ValueError("the worker needs TMR_REDIS_URL (or runs inside `tmr serve`)")
    max_tries = settings.worker_max_tries
    return RegistryWorker(
        functions=[func(run_ingest, name=JobName.INGEST.value, max_tries=max_tries)],
        queue_name=settings.queue_name,
        redis_settings=RedisSettings.from_dsn(settings.redis_url),
        on_startup=startup_for(settings, max_tries),
        on_shutdown=shutdown,
        max_jobs=settings.worker_max_jobs,
        job_timeout=settings.worker_job_timeout_seconds,
        burst=burst,
        poll_delay=poll_delay,
        handle_signals=handle_signals,
        keep_result=3600,
    )


async def stop_worker(
    worker: Worker, task: asyncio.Task[None], grace_seconds: float = 10.0
) -> None:
    """Stop taking jobs, let running ones finish (up to ``grace_seconds``), then close.
    A job cut short stays in the queue and runs again on the next worker."""
    worker.allow_pick_jobs = False
    running = [t for t in worker.tasks.values() if not t.done()]
    if running:
        _, pending = await asyncio.wait(running, timeout=grace_seconds)
        for t in pending:
            t.cancel()
        await asyncio.gather(*running, return_exceptions=True)
    await worker.close()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
