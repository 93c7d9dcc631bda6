"""The JobQueue contract on arq and real Redis: jobs are enqueued by name, once per id, and a
worker runs them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from arq import Worker, create_pool, func
from arq.connections import ArqRedis, RedisSettings

from app.ports import JobName
from app.queue import ArqJobQueue


@pytest.fixture
async def pool(redis_url: str) -> AsyncIterator[ArqRedis]:
    redis = await create_pool(RedisSettings.from_dsn(redis_url))
    try:
        yield redis
    finally:
        await redis.aclose()


async def test_enqueue_is_idempotent_per_job_id_and_a_worker_runs_it(
    pool: ArqRedis, redis_url: str
) -> None:
    queue_name = f"contract:{uuid.uuid4().hex}"
    queue = ArqJobQueue(pool, queue_name)
    assert await queue.enqueue(JobName.INGEST, "job-1", job_id="job-1")
    assert not await queue.enqueue(JobName.INGEST, "job-1", job_id="job-1")

    seen: list[str] = []

    async def ingest(ctx: dict[str, Any], ingest_id: str) -> None:
        seen.append(ingest_id)

    worker = Worker(
        functions=[func(ingest, name=JobName.INGEST.value)],
        redis_settings=RedisSettings.from_dsn(redis_url),
        queue_name=queue_name,
        burst=True,
        poll_delay=0.01,
        handle_signals=False,
    )
    try:
        await worker.main()
    finally:
        await worker.close()
    assert seen == ["job-1"]


async def test_ping(pool: ArqRedis) -> None:
    await ArqJobQueue(pool, "q").ping()


async def test_clear_drops_waiting_jobs(pool: ArqRedis) -> None:
    queue = ArqJobQueue(pool, f"contract:{uuid.uuid4().hex}")
    for i in range(3):
        assert await queue.enqueue(JobName.INGEST, f"job-{i}", job_id=f"clear-{i}")
    assert await queue.clear() == 3
    assert await queue.clear() == 0
    # a cleared id can be queued again: nothing of it was left behind
    assert await queue.enqueue(JobName.INGEST, "job-0", job_id="clear-0")


async def test_depth_counts_the_jobs_in_the_queue(pool: ArqRedis) -> None:
    queue = ArqJobQueue(pool, f"contract:{uuid.uuid4().hex}")
    assert await queue.depth() == 0
    for i in range(3):
        await queue.enqueue(JobName.INGEST, f"job-{i}", job_id=f"depth-{uuid.uuid4().hex}")
    assert await queue.depth() == 3
    await queue.clear()
    assert await queue.depth() == 0
