"""The job queue on arq: the only module that imports arq's client side."""

from __future__ import annotations

from arq.connections import ArqRedis
from arq.constants import job_key_prefix

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

    async def clear(self) -> int:
        job_ids = [
            j.decode() if isinstance(j, bytes) else str(j)
            for j in await self._pool.zrange(self._queue_name, 0, -1)
        ]
        if job_ids:
            # arq keeps each queued job's payload under its own key beside the queue's set
            await self._pool.delete(*(f"{job_key_prefix}{j}" for j in job_ids))
        await self._pool.delete(self._queue_name)
        return len(job_ids)

    async def depth(self) -> int:
        return int(await self._pool.zcard(self._queue_name))

    async def ping(self) -> None:
        await self._pool.ping()
