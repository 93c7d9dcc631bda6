"""How the worker is assembled. ``build_worker`` must run inside the event loop that will run
the worker: arq binds its tasks to the loop current at construction."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

from arq import Worker, func
from arq.connections import RedisSettings

from app.ingest.recovery import IngestRecovery
from app.ports import JobName
from app.settings import Settings
from workers.context import shutdown, startup_for
from workers.jobs.ingest import run_ingest
from workers.reconnect import CONNECTION_ERRORS, Backoff
from workers.supervisor import WorkerSupervisor, stop_worker

# stop_worker belongs to the supervisor; the entry points and tests find it here.
__all__ = ["RegistryWorker", "build_worker", "stop_worker", "supervised_worker"]

log = logging.getLogger(__name__)


class RegistryWorker(Worker):
    """arq's worker, made to ride out Redis outages and to end every job it gives up on.

    * A Redis error in its loop (polling, taking a job, recording a result) waits, with
      backoff, and goes on; arq's own loop would end the worker. A job whose result could
      not be recorded keeps its in-progress key; the reconciler hands it back to the queue.
    * A job it will not run again because its tries are spent (arq then never calls the job
      function) is ended FAILED, its source lock released.
    * A job stays in the queue until it finishes, and whenever a slot is free arq re-checks
      every queued job on every poll (three Redis round trips each), including those this
      worker is running; those are skipped here.
    """

    def __init__(self, *args: Any, reconnect_max_seconds: float, **kwargs: Any) -> None:  # noqa: ANN401 - arq's own arguments
        super().__init__(*args, **kwargs)
        self._backoff = Backoff(reconnect_max_seconds)
        self.ctx["running_jobs"] = self.running_job_ids

    def running_job_ids(self) -> frozenset[str]:
        return frozenset(j for j, t in self.tasks.items() if not t.done())

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except CONNECTION_ERRORS as exc:
            delay = self._backoff.next()
            log.warning("Redis unreachable (%s); polling again in %.1f s", exc, delay)
            await asyncio.sleep(delay)
        else:
            self._backoff.reset()

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        for raw in job_ids:
            if self.job_counter >= self.max_jobs:
                return
            job_id = raw.decode()
            before = self.tasks.get(job_id)
            if before is not None and not before.done():
                continue
            try:
                await super().start_jobs([raw])
            except BaseException:
                if self.tasks.get(job_id) is before:
                    # arq counts a job as started before it asks Redis; give the slot back
                    self.job_counter -= 1
                    self.sem.release()
                raise

    async def finish_failed_job(self, job_id: str, result_data: bytes | None) -> None:
        # arq's way out for a job it will never call the job function for again.
        recovery: IngestRecovery | None = self.ctx.get("recovery")
        if recovery is not None:
            try:
                await recovery.tries_exhausted(job_id)
            except Exception:
                log.exception("could not end ingest %s; the reconciler will", job_id)
        await super().finish_failed_job(job_id, result_data)


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
        # One try: the supervisor retries a worker that cannot start, with backoff.
        redis_settings=replace(RedisSettings.from_dsn(settings.redis_url), conn_retries=0),
        on_startup=startup_for(settings, max_tries),
        on_shutdown=shutdown,
        max_jobs=settings.worker_max_jobs,
        job_timeout=settings.worker_job_timeout_seconds,
        burst=burst,
        poll_delay=poll_delay,
        handle_signals=handle_signals,
        keep_result=3600,
        reconnect_max_seconds=settings.worker_reconnect_max_seconds,
    )


def supervised_worker(settings: Settings, *, poll_delay: float = 0.05) -> WorkerSupervisor:
    """A worker that is started again whenever it fails (``WorkerSupervisor.run``)."""
    return WorkerSupervisor(
        lambda: build_worker(settings, poll_delay=poll_delay),
        reconnect_max_seconds=settings.worker_reconnect_max_seconds,
    )
