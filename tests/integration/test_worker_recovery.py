"""Every job ends, and soon (DESIGN §9): the API and the worker in the test's loop, on the
session's Redis and nx-27017, with a worker's crash reproduced by what it leaves in Redis
(arq's in-progress and try-count keys) and in the job document."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from redis.asyncio import Redis

from app.ingest.entities import IngestJob, IngestState
from app.ingest.repository import IngestJobRepository
from app.kinds import ArtifactType
from app.settings import Settings
from app.storage import mongo
from tests.support.processes import settings_env
from tests.support.registry import Registry, running_registry
from workers.settings import RegistryWorker, build_worker, stop_worker

WHISPER = "https://huggingface.co/openai/whisper-tiny"
#: Bounds a wait that today's code would make last for arq's job timeout (600 s) or forever.
WAIT_SECONDS = 30


def quick(settings: Settings, **changes: Any) -> Settings:  # noqa: ANN401
    """Liveness in tenths of a second: a dead worker is noticed within about a second."""
    return settings.model_copy(
        update={
            "worker_heartbeat_seconds": 0.2,
            "worker_reconnect_max_seconds": 0.5,
            "worker_orphan_grace_seconds": 0.5,
            **changes,
        }
    )


@asynccontextmanager
async def worker_in_loop(settings: Settings) -> AsyncIterator[RegistryWorker]:
    worker = build_worker(settings, poll_delay=0.02)
    task = asyncio.create_task(worker.async_run())
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            while "services" not in worker.ctx and not task.done():  # noqa: ASYNC110 - arq offers no startup event
                await asyncio.sleep(0.01)
        yield worker
    finally:
        await stop_worker(worker, task)


@asynccontextmanager
async def job_store(settings: Settings) -> AsyncIterator[IngestJobRepository]:
    client = mongo.connect(settings.mongo_url or "")
    try:
        yield IngestJobRepository(client[settings.mongo_database])
    finally:
        await client.close()


@asynccontextmanager
async def redis_client(settings: Settings) -> AsyncIterator[Redis]:
    redis = Redis.from_url(settings.redis_url or "")
    try:
        yield redis
    finally:
        await redis.aclose()


async def ended(registry: Registry, job_id: str) -> IngestJob:
    async with asyncio.timeout(WAIT_SECONDS):
        async for job in registry.services.ingest.watch(job_id):
            last = job
    return last


async def crashed_mid_scoring(registry: Registry, jobs: IngestJobRepository) -> IngestJob:
    """A queued ingest whose worker died while scoring it: the document says SCORING."""
    job = await registry.services.ingest.start(WHISPER, ArtifactType.MODEL, None, "tester")
    for state in (IngestState.FETCHING, IngestState.SCORING):
        moved = await jobs.transition(job, state, job.updated_at, attempts=1)
        assert moved is not None
        job = moved
    return job


async def test_a_job_whose_tries_all_died_ends_failed_and_frees_its_source(
    settings: Settings,
) -> None:
    settings = quick(settings)
    async with (
        running_registry(settings, worker=False) as registry,
        job_store(settings) as jobs,
        redis_client(settings) as redis,
    ):
        stuck = await crashed_mid_scoring(registry, jobs)
        # arq counted every try (2 in the test settings); the next one is past the limit.
        await redis.set(f"arq:retry:{stuck.id}", settings.worker_max_tries)
        async with redis.pubsub() as events:
            await events.subscribe(f"ingest:{stuck.id}")
            async with worker_in_loop(settings):
                final = await ended(registry, stuck.id)
                published = await next_event(events)
            again = await registry.services.ingest.start(
                WHISPER, ArtifactType.MODEL, None, "tester"
            )
    assert final.state is IngestState.FAILED
    assert final.error is not None
    assert final.error.code == "worker_crashed"
    assert "stopped before it finished" in final.error.message
    assert published["state"] == "FAILED"
    assert published["error"]["code"] == "worker_crashed"
    assert again.id != stuck.id  # the source is free: a new ingest, not the stuck one


async def next_event(events: Any) -> dict[str, Any]:  # noqa: ANN401 - redis-py's PubSub
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            message = await events.get_message(ignore_subscribe_messages=True, timeout=1)
            if message is not None:
                event: dict[str, Any] = json.loads(message["data"])
                return event


async def test_a_dead_workers_job_runs_again_long_before_arqs_timeout(
    settings: Settings,
) -> None:
    settings = quick(settings, worker_max_tries=3)
    async with (
        running_registry(settings, worker=False) as registry,
        job_store(settings) as jobs,
        redis_client(settings) as redis,
    ):
        taken = await crashed_mid_scoring(registry, jobs)
        # What a worker killed mid-job leaves: arq holds the job as running for the job
        # timeout + 10 s (610 s here), and counted the try.
        await redis.psetex(f"arq:in-progress:{taken.id}", 610_000, b"1")
        await redis.set(f"arq:retry:{taken.id}", 1)
        async with worker_in_loop(settings):
            final = await ended(registry, taken.id)
    assert final.state is IngestState.DONE, final.error
    assert final.attempts == 2


async def test_a_live_workers_long_job_is_left_alone(settings: Settings, hub: Any) -> None:  # noqa: ANN401 - the FakeHub fixture
    hub.latency = 0.25  # the ingest takes seconds, many heartbeats long
    settings = quick(settings, worker_heartbeat_seconds=0.1)
    async with running_registry(settings, worker=False) as registry:
        job = await registry.services.ingest.start(WHISPER, ArtifactType.MODEL, None, "tester")
        async with worker_in_loop(settings):
            final = await ended(registry, job.id)
    assert final.state is IngestState.DONE
    assert final.attempts == 1  # never taken from its worker and run a second time


async def test_a_job_the_queue_lost_is_queued_again(settings: Settings) -> None:
    settings = quick(settings)
    async with running_registry(settings, worker=False) as registry:
        job = await registry.services.ingest.start(WHISPER, ArtifactType.MODEL, None, "tester")
        # Redis lost it (a restart without its last second of writes, say).
        assert await registry.services.ingest._queue.clear() == 1
        async with worker_in_loop(settings):
            final = await ended(registry, job.id)
    assert final.state is IngestState.DONE


async def test_a_lost_job_with_no_tries_left_ends_failed(settings: Settings) -> None:
    settings = quick(settings)
    async with (
        running_registry(settings, worker=False) as registry,
        job_store(settings) as jobs,
    ):
        stuck = await crashed_mid_scoring(registry, jobs)
        moved = await jobs.transition(
            stuck, IngestState.FETCHING, stuck.updated_at, attempts=settings.worker_max_tries
        )
        assert moved is not None
        await registry.services.ingest._queue.clear()
        async with worker_in_loop(settings):
            final = await ended(registry, stuck.id)
        again = await registry.services.ingest.start(WHISPER, ArtifactType.MODEL, None, "tester")
    assert final.state is IngestState.FAILED
    assert final.error is not None
    assert final.error.code == "worker_crashed"
    assert again.id != stuck.id


async def test_health_counts_live_workers_and_queued_jobs(settings: Settings) -> None:
    settings = quick(settings)
    async with running_registry(settings, worker=False) as registry:
        idle = await registry.client.get("/health")
        assert idle.status_code == 200, idle.text
        assert idle.json()["workers"] == {"live": 0}
        assert idle.json()["queue"] == {"depth": 0}

        job = await registry.services.ingest.start(WHISPER, ArtifactType.MODEL, None, "tester")
        stalled = await registry.client.get("/health")
        assert stalled.status_code == 503
        assert stalled.json()["queue"] == {"depth": 1}
        workers = next(c for c in stalled.json()["components"] if c["id"] == "workers")
        assert workers["status"] == "down"
        assert "no live worker" in workers["detail"]
        detail = await registry.client.get("/health/components")
        issues = next(c for c in detail.json()["components"] if c["id"] == "workers")["issues"]
        assert issues[0]["code"] == "no_live_worker"

        async with worker_in_loop(settings):
            await ended(registry, job.id)
            served = await registry.client.get("/health")
            assert served.status_code == 200, served.text
            assert served.json()["workers"] == {"live": 1}
            assert served.json()["queue"] == {"depth": 0}
            on_this_host = await healthcheck(settings)
        assert on_this_host == 0
        # a worker that stopped cleanly is gone at once
        assert (await registry.client.get("/health")).json()["workers"] == {"live": 0}
        assert await healthcheck(settings) == 1


async def healthcheck(settings: Settings) -> int:
    """The container healthcheck compose.yaml runs in the worker's container."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "workers.heartbeat",
        env=settings_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    async with asyncio.timeout(WAIT_SECONDS):
        return await proc.wait()


async def test_a_run_that_lost_the_race_keeps_the_winners_bundle(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker thought dead may still be running the job another worker took over: both
    write the same version's bundle, one document wins, and the loser must not delete the
    bundle the winner's document points at."""
    async with running_registry(settings, worker=False) as registry:
        service = registry.services.artifacts._target  # type: ignore[attr-defined]
        stored_versions: list[Any] = []
        real_store = service.store

        async def recording_store(new: Any) -> Any:  # noqa: ANN401 - a NewArtifact
            stored_versions.append(new)
            return await real_store(new)

        monkeypatch.setattr(service, "store", recording_store)
        job = await registry.services.ingest.start(WHISPER, ArtifactType.MODEL, None, "tester")
        await registry.services.ingest.run(job.id)
        # the loser read "not stored yet" before the winner wrote, then stores the same version
        real_get = service._repo.get
        stale_reads = [None]

        async def stale_get(artifact_id: str) -> Any:  # noqa: ANN401 - the repository's answer
            return stale_reads.pop() if stale_reads else await real_get(artifact_id)

        monkeypatch.setattr(service._repo, "get", stale_get)
        again = await real_store(stored_versions[0])
        monkeypatch.undo()
        read = await registry.client.get(f"/artifacts/model/{again.id}")
        bundle = await registry.client.get(read.json()["data"]["download_url"])
    assert again.ingest_id == job.id
    assert bundle.status_code == 200
    assert bundle.content[:2] == b"PK"


async def test_a_lock_left_by_a_job_that_ended_is_freed(settings: Settings) -> None:
    settings = quick(settings)
    async with (
        running_registry(settings, worker=False) as registry,
        job_store(settings) as jobs,
        worker_in_loop(settings) as worker,
    ):
        job = await registry.services.ingest.start(WHISPER, ArtifactType.MODEL, None, "tester")
        final = await ended(registry, job.id)
        # A worker killed between ending the job and freeing its lock leaves this behind.
        assert await jobs.acquire_source("hf:model:openai/whisper-tiny", job.id) is None
        left = await jobs.stale_locks(10)
        live = await registry.services.ingest.start(
            "https://huggingface.co/google-bert/bert-base-uncased", ArtifactType.MODEL, None, "t"
        )
        done = await worker.ctx["recovery"].reconcile()
        after = await jobs.stale_locks(10)
        await ended(registry, live.id)
    assert final.state is IngestState.DONE
    assert left == [("hf:model:openai/whisper-tiny", job.id)]
    assert done.freed == ("hf:model:openai/whisper-tiny",)  # the live job's lock is kept
    assert after == []
