"""The worker's polling stays cheap while it runs jobs: a job it is running is not re-checked
in Redis on every poll (arq would, with three round trips per running job)."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from app.settings import Settings
from tests.fakehub import FakeHub
from tests.support import queries
from tests.support.registry import running_registry


async def _exists_calls(redis: Redis) -> int:
    stats = await redis.info("commandstats")
    return int(stats.get("cmdstat_exists", {}).get("calls", 0))


async def test_running_jobs_are_not_rechecked_on_every_poll(
    settings: Settings, hub: FakeHub
) -> None:
    hub.latency = 0.4  # each upstream request takes a while: the ingest runs for seconds
    redis = Redis.from_url(settings.redis_url or "")
    try:
        async with running_registry(settings) as registry:
            payload = await registry.gql(
                queries.INGEST, url="https://huggingface.co/openai/whisper-tiny", type="MODEL"
            )
            job_id = payload["ingest"]["job"]["id"]
            async for state in registry.services.ingest.watch(job_id):
                if state.state.value != "QUEUED":  # the worker has taken it
                    break
            before = await _exists_calls(redis)
            await asyncio.sleep(0.5)  # about 25 polls at the test worker's 20 ms
            during = await _exists_calls(redis) - before
            assert (await registry.services.ingest.get(job_id)).state.value != "DONE"
    finally:
        await redis.aclose()
    assert during == 0
