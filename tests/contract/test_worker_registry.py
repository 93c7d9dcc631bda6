"""Worker heartbeats and the queue's view of taken jobs, on real Redis: a beat lives for three
intervals, a retired worker leaves at once, one worker per interval gets the reconciling
turn, and the queue tells which jobs a worker took and how long ago."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings

from app.ports import JobName, WorkerBeat
from app.queue import ArqJobQueue, Heartbeat, RedisWorkerRegistry


@pytest.fixture
async def pool(redis_url: str) -> AsyncIterator[ArqRedis]:
    redis = await create_pool(RedisSettings.from_dsn(redis_url))
    try:
        yield redis
    finally:
        await redis.aclose()


def beat(worker_id: str, *running: str) -> WorkerBeat:
    return WorkerBeat(worker_id, "host-a", 42, 1_700_000_000.0, frozenset(running))


async def test_a_beat_is_live_until_it_expires(pool: ArqRedis) -> None:
    registry = RedisWorkerRegistry(pool, f"contract:{uuid.uuid4().hex}", Heartbeat(0.1))
    await registry.beat(beat("w1", "job-1", "job-2"))
    await registry.beat(beat("w2"))
    assert sorted(await registry.live(), key=lambda b: b.worker_id) == [
        beat("w1", "job-1", "job-2"),
        beat("w2"),
    ]
    await registry.retire("w2")
    assert [b.worker_id for b in await registry.live()] == ["w1"]
    async with asyncio.timeout(5):
        while await registry.live():  # noqa: ASYNC110 - polling Redis; three missed beats of 0.1 s
            await asyncio.sleep(0.05)


async def test_workers_of_other_queues_are_not_counted(pool: ArqRedis) -> None:
    mine = RedisWorkerRegistry(pool, f"contract:{uuid.uuid4().hex}", Heartbeat(5))
    theirs = RedisWorkerRegistry(pool, f"contract:{uuid.uuid4().hex}", Heartbeat(5))
    await theirs.beat(beat("w1"))
    assert await mine.live() == []
    await theirs.retire("w1")


async def test_one_worker_per_interval_gets_the_turn(pool: ArqRedis) -> None:
    registry = RedisWorkerRegistry(pool, f"contract:{uuid.uuid4().hex}", Heartbeat(0.2))
    assert await registry.take_turn("w1")
    assert not await registry.take_turn("w2")
    async with asyncio.timeout(5):
        while not await registry.take_turn("w2"):  # noqa: ASYNC110 - polling Redis
            await asyncio.sleep(0.05)


async def test_the_snapshot_tells_taken_jobs_and_their_age(pool: ArqRedis) -> None:
    queue = ArqJobQueue(pool, f"contract:{uuid.uuid4().hex}", job_timeout_seconds=600)
    for job_id in ("waiting", "taken-now", "taken-long-ago"):
        assert await queue.enqueue(JobName.INGEST, job_id, job_id=job_id)
    # What arq writes when a worker takes a job: a key that lives job timeout + 10 s.
    await pool.psetex("arq:in-progress:taken-now", 610_000, b"1")
    await pool.psetex("arq:in-progress:taken-long-ago", 610_000 - 30_000, b"1")
    snapshot = await queue.snapshot()
    assert snapshot.held == {"waiting", "taken-now", "taken-long-ago"}
    assert set(snapshot.taken) == {"taken-now", "taken-long-ago"}
    assert snapshot.taken["taken-now"] < 5
    assert 29 <= snapshot.taken["taken-long-ago"] < 35
    assert await queue.depth() == 3

    assert await queue.release("taken-long-ago")
    assert not await queue.release("waiting")
    assert set((await queue.snapshot()).taken) == {"taken-now"}
    await queue.clear()
    await pool.delete("arq:in-progress:taken-now")


async def test_an_empty_queue_has_an_empty_snapshot(pool: ArqRedis) -> None:
    snapshot = await ArqJobQueue(pool, f"contract:{uuid.uuid4().hex}").snapshot()
    assert snapshot.held == frozenset()
    assert snapshot.taken == {}
