"""The job queue on arq: the only module that imports arq's client side."""

from __future__ import annotations

from arq.connections import ArqRedis

from app.ports import JobName


class ArqJobQueue:
    def __init__(self, pool: ArqRedis, queue_name: str) -> None:
        self._pool = pool
        self._queue_name = queue_name

    async def enqueue(self, name: JobName, *args: str, job_id: str) -> bool:
        job = await self._pool.enqueue_job(
            name.value, *args, _job_id=job_id, _queue_name=self._queue_name
        )
        return job is not None

    async def ping(self) -> None:
        await self._pool.ping()
