"""Keeping a worker at work: stopping one cleanly whatever state its backends are in, and
starting a new one, with backoff, whenever one fails."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from arq import Worker

from workers.context import shutdown
from workers.reconnect import Backoff

log = logging.getLogger(__name__)

#: How long closing a worker may take once its jobs are done (Redis may be the reason).
CLOSE_TIMEOUT_SECONDS = 5.0


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
    # Its loop is cancelled and has unwound before anything closes: arq's close() cancels
    # the loop without waiting, so a connection the loop still held (a WATCH in progress)
    # was closed under it and left behind.
    task.cancel()
    await asyncio.wait({task})
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
            await worker.close()
    except Exception:  # arq stops closing at the first error: finish closing here
        log.warning("the worker did not close cleanly", exc_info=True)
        await shutdown(worker.ctx)
        with contextlib.suppress(Exception):
            await worker.pool.aclose()


class WorkerSupervisor:
    """Runs a worker until ``stop`` is called, and a new one after any failure that ends
    one: Redis or the document store unreachable while it starts, or anything else arq lets
    escape. Outages while it runs are ridden out inside the worker (``RegistryWorker``)."""

    def __init__(self, build: Callable[[], Worker], *, reconnect_max_seconds: float) -> None:
        self._build = build
        self._backoff = Backoff(reconnect_max_seconds)
        self._stopping = asyncio.Event()
        #: The worker running now, if any.
        self.worker: Worker | None = None
        self.restarts = 0

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            started = loop.time()
            failure = await self._run_one()
            if failure is None:
                return
            if loop.time() - started > 2 * self._backoff.cap:  # it worked for a while
                self._backoff.reset()
            delay = self._backoff.next()
            self.restarts += 1
            log.error(
                "worker failed (%s); starting a new one in %.1f s (restart %d)",
                failure,
                delay,
                self.restarts,
                exc_info=failure,
            )
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._stopping.wait()

    async def _run_one(self) -> BaseException | None:
        """Run a worker until it fails (its failure) or ``stop`` is called (None)."""
        worker = self.worker = self._build()
        task = asyncio.create_task(worker.async_run())
        stopping = asyncio.create_task(self._stopping.wait())
        try:
            await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            await asyncio.shield(stop_worker(worker, task))
            raise
        finally:
            stopping.cancel()
        failure: BaseException | None = None
        if task.done() and not self._stopping.is_set():
            failure = (
                RuntimeError("the worker stopped by itself")
                if task.cancelled() or task.exception() is None
                else task.exception()
            )
        await stop_worker(worker, task)
        self.worker = None
        return failure
