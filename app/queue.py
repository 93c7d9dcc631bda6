"""The job queue on arq, and the heartbeats of the workers that serve it: the only module that
imports arq's client side, and the one that names every worker-liveness key and interval."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix, job_key_prefix
from redis.asyncio import Redis

from app.ports import JobName, QueueSnapshot, WorkerBeat

#: A worker is taken for dead once this many of its beats in a row are missing.
MISSED_BEATS = 3
#: arq keeps a taken job's in-progress key for the job timeout plus this many seconds.
_ARQ_IN_PROGRESS_EXTRA_SECONDS = 10


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """Every interval of worker liveness, derived from how often a worker beats."""

    every: float

    @property
    def expires_after(self) -> float:
        """A beat not renewed within this long is gone, and its worker with it."""
        return self.every * MISSED_BEATS

    @property
    def dead_after(self) -> float:
        """A job taken this long ago that no live worker reports running has lost its
        worker: any worker alive when it was taken has beaten since and would list it."""
        return self.expires_after + self.every


def worker_key(queue_name: str, worker_id: str) -> str:
    return f"tmr:worker:{queue_name}:{worker_id}"


def workers_index_key(queue_name: str) -> str:
    """A sorted set of the queue's worker ids, scored by when their beat expires."""
    return f"tmr:workers:{queue_name}"


def reconcile_turn_key(queue_name: str) -> str:
    return f"tmr:reconcile:{queue_name}"


class ArqJobQueue:
    def __init__(
        self, pool: ArqRedis, queue_name: str, *, job_timeout_seconds: float = 600.0
    ) -> None:
        self._pool = pool
        self._queue_name = queue_name
        self._in_progress_seconds = job_timeout_seconds + _ARQ_IN_PROGRESS_EXTRA_SECONDS

    async def enqueue(self, name: JobName, *args: str, job_id: str) -> bool:
        job = await self._pool.enqueue_job(
            name.value, *args, _job_id=job_id, _queue_name=self._queue_name
        )
        return job is not None

    async def clear(self) -> int:
        job_ids = await self._job_ids()
        if job_ids:
            # arq keeps each queued job's payload under its own key beside the queue's set
            await self._pool.delete(*(f"{job_key_prefix}{j}" for j in job_ids))
        await self._pool.delete(self._queue_name)
        return len(job_ids)

    async def depth(self) -> int:
        return int(await self._pool.zcard(self._queue_name))

    async def snapshot(self) -> QueueSnapshot:
        job_ids = await self._job_ids()
        if not job_ids:
            return QueueSnapshot(held=frozenset(), taken={})
        async with self._pool.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.pttl(f"{in_progress_key_prefix}{job_id}")
            ttls: list[int] = await pipe.execute()
        taken = {
            # arq sets the key with a fixed lifetime when a worker takes the job, so what is
            # left of it tells when that was; a key without one is as old as can be.
            job_id: math.inf if ttl < 0 else max(0.0, self._in_progress_seconds - ttl / 1000)
            for job_id, ttl in zip(job_ids, ttls, strict=True)
            if ttl != -2  # noqa: PLR2004 - Redis: no such key
        }
        return QueueSnapshot(held=frozenset(job_ids), taken=taken)

    async def release(self, job_id: str) -> bool:
        return bool(await self._pool.delete(f"{in_progress_key_prefix}{job_id}"))

    async def ping(self) -> None:
        await self._pool.ping()

    async def _job_ids(self) -> list[str]:
        return [
            j.decode() if isinstance(j, bytes) else str(j)
            for j in await self._pool.zrange(self._queue_name, 0, -1)
        ]


class RedisWorkerRegistry:
    """Each worker's beat is a key of its own that expires unless renewed; an index of the
    queue's workers finds them without scanning the keyspace."""

    def __init__(self, redis: Redis, queue_name: str, heartbeat: Heartbeat) -> None:
        self._redis = redis
        self._queue_name = queue_name
        self._heartbeat = heartbeat

    async def beat(self, beat: WorkerBeat) -> None:
        ttl_ms = int(self._heartbeat.expires_after * 1000)
        now_ms = int(time.time() * 1000)
        index = workers_index_key(self._queue_name)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(worker_key(self._queue_name, beat.worker_id), _encode(beat), px=ttl_ms)
            pipe.zadd(index, {beat.worker_id: now_ms + ttl_ms})
            # workers whose beat expired long ago leave the index
            pipe.zremrangebyscore(index, "-inf", now_ms - ttl_ms)
            await pipe.execute()

    async def retire(self, worker_id: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(worker_key(self._queue_name, worker_id))
            pipe.zrem(workers_index_key(self._queue_name), worker_id)
            await pipe.execute()

    async def live(self) -> list[WorkerBeat]:
        ids = [
            i.decode() if isinstance(i, bytes) else str(i)
            for i in await self._redis.zrange(workers_index_key(self._queue_name), 0, -1)
        ]
        if not ids:
            return []
        # the index may still list a dead worker; its own key is the truth
        beats = await self._redis.mget([worker_key(self._queue_name, i) for i in ids])
        return [_decode(b) for b in beats if b is not None]

    async def take_turn(self, worker_id: str) -> bool:
        turn = await self._redis.set(
            reconcile_turn_key(self._queue_name),
            worker_id,
            nx=True,
            px=max(1, int(self._heartbeat.every * 1000)),
        )
        return bool(turn)


def _encode(beat: WorkerBeat) -> str:
    return json.dumps(
        {
            "worker_id": beat.worker_id,
            "host": beat.host,
            "pid": beat.pid,
            "started_at": beat.started_at,
            "running": sorted(beat.running),
        }
    )


def _decode(raw: bytes | str) -> WorkerBeat:
    d = json.loads(raw)
    return WorkerBeat(
        worker_id=str(d["worker_id"]),
        host=str(d["host"]),
        pid=int(d["pid"]),
        started_at=float(d["started_at"]),
        running=frozenset(str(j) for j in d.get("running", ())),
    )
