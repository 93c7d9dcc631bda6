"""A worker's heartbeat, and its turns at reconciling the queue with the job documents.

Run as ``python -m workers.heartbeat``, it is the container healthcheck: it exits 0 when a
worker on this host has a live heartbeat, 1 otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import sys
import time
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Self

from redis.asyncio import Redis

from app.ingest.recovery import IngestRecovery
from app.ports import WorkerBeat, WorkerRegistry
from app.queue import Heartbeat, RedisWorkerRegistry
from app.settings import get_settings

log = logging.getLogger(__name__)

#: How long a stopping worker tries to remove its heartbeat before leaving it to expire.
RETIRE_TIMEOUT_SECONDS = 2.0


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Liveness:
    """Beats every ``heartbeat.every`` seconds, listing the jobs this worker runs, and takes
    its turn at reconciling (``IngestRecovery.reconcile``) once it has been beating for a
    full beat lifetime: after an outage every live peer has beaten again by then, so a
    missing beat means a dead worker, not a slow one."""

    def __init__(
        self,
        registry: WorkerRegistry,
        recovery: IngestRecovery,
        heartbeat: Heartbeat,
        running: Callable[[], frozenset[str]],
        worker_id: str | None = None,
    ) -> None:
        self._registry = registry
        self._recovery = recovery
        self._heartbeat = heartbeat
        self._running = running
        self.worker_id = worker_id or new_worker_id()
        self._started_at = time.time()
        self._beating_since: float | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Self:
        await self._beat()  # live from the start, or learn that Redis is not
        self._tasks = [
            asyncio.create_task(self._beat_forever(), name=f"heartbeat {self.worker_id}"),
            asyncio.create_task(self._reconcile_forever(), name=f"reconcile {self.worker_id}"),
        ]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            async with asyncio.timeout(RETIRE_TIMEOUT_SECONDS):
                await self._registry.retire(self.worker_id)

    async def _beat_forever(self) -> None:
        # A fixed interval, never backed off: after an outage a live worker must be seen
        # again before its peers take it for dead.
        while True:
            await asyncio.sleep(self._heartbeat.every)
            await self._beat()

    async def _beat(self) -> None:
        beat = WorkerBeat(
            worker_id=self.worker_id,
            host=socket.gethostname(),
            pid=os.getpid(),
            started_at=self._started_at,
            running=self._running(),
        )
        try:
            async with asyncio.timeout(self._heartbeat.every):
                await self._registry.beat(beat)
        except Exception as exc:  # noqa: BLE001 - an outage: keep beating until it ends
            if self._beating_since is not None:
                log.warning("worker %s cannot beat: %s", self.worker_id, exc)
            self._beating_since = None
        else:
            if self._beating_since is None:
                self._beating_since = time.monotonic()

    def _settled(self) -> bool:
        since = self._beating_since
        return since is not None and time.monotonic() - since >= self._heartbeat.expires_after

    async def _reconcile_forever(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat.every)
            if not self._settled():
                continue
            try:
                if await self._registry.take_turn(self.worker_id):
                    done = await self._recovery.reconcile()
                    if done.released or done.requeued or done.ended or done.freed:
                        log.info("reconciled the queue: %s", done)
            except Exception:
                log.warning("reconciling the queue failed; trying next turn", exc_info=True)


async def live_worker_on(host: str) -> bool:
    settings = get_settings()
    if settings.redis_url is None:
        return False
    redis = Redis.from_url(settings.redis_url)
    try:
        registry = RedisWorkerRegistry(
            redis, settings.queue_name, Heartbeat(settings.worker_heartbeat_seconds)
        )
        return any(beat.host == host for beat in await registry.live())
    finally:
        await redis.aclose()


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(live_worker_on(socket.gethostname())) else 1)
