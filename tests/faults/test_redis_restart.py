"""Redis killed mid-ingest and started again (issue 9): both kinds of worker, ``tmr worker``
in a process of its own and the supervised in-process worker of ``tmr serve``, carry on by
themselves, and every job accepted before or after the outage ends DONE.

Redis here is the test's own (append-only, as deployed), so killing it touches no other
test; the document store is the session's nx-27017.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import defaultdict
from pathlib import Path

import pytest

from app.errors import BackendUnavailableError
from app.ingest.entities import IngestJob, IngestState
from app.kinds import ArtifactType
from app.queue import RedisWorkerRegistry
from tests.fakehub import FakeHub
from tests.faults.conftest import (
    WAIT_SECONDS,
    all_ended,
    fault_settings,
    outcome,
    store_counts,
    worker_registry,
)
from tests.support.processes import WorkerProcess
from tests.support.registry import Registry, isolated_settings, running_registry
from tests.support.servers import RestartableRedis, restartable_redis
from workers.settings import supervised_worker

#: Processes start slowly on a loaded machine; every wait inside is bounded on its own.
pytestmark = pytest.mark.timeout(300)

BEFORE = 8  # ingests accepted before the outage, some of them running when it starts
AFTER = 8  # accepted once Redis is back
OUTAGE_SECONDS = 2.0


async def accept(registry: Registry, url: str) -> IngestJob:
    """Ingest as a client would: a 503 while Redis comes back is tried again."""
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            try:
                return await registry.services.ingest.start(url, ArtifactType.MODEL, None, "tester")
            except BackendUnavailableError:
                await asyncio.sleep(0.2)


async def beating(workers: RedisWorkerRegistry, pids: set[int], *, busy: bool = False) -> None:
    """Wait until a worker of each pid beats (with jobs in hand, if ``busy``)."""
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            with contextlib.suppress(OSError, ConnectionError):
                beats = await workers.live()
                seen = {b.pid for b in beats if b.running or not busy}
                if pids <= seen if not busy else seen & pids:
                    return
            await asyncio.sleep(0.05)


async def watch_who_runs(
    workers: RedisWorkerRegistry, seen: dict[int, set[str]], stop: asyncio.Event
) -> None:
    while not stop.is_set():
        with contextlib.suppress(Exception):
            for beat in await workers.live():
                seen[beat.pid] |= beat.running
        await asyncio.sleep(0.05)


async def test_both_workers_resume_after_redis_restarts_and_no_job_is_lost(
    mongo_url: str,
    model_hub: tuple[FakeHub, list[str]],
    tmp_path: Path,
) -> None:
    hub, urls = model_hub
    hub.latency = 0.1  # an ingest takes a couple of seconds: the outage catches some
    urls = urls[-(BEFORE + AFTER) :]  # not the kill test's models
    with restartable_redis(tmp_path / "redis") as redis_server:
        settings = fault_settings(
            isolated_settings(mongo_url, redis_server.url, hub.url, tmp_path / "data"),
            worker_max_jobs=2,
        )
        async with (
            running_registry(settings, worker=False) as registry,
            worker_registry(settings) as workers,
        ):
            in_process = supervised_worker(settings, poll_delay=0.02)
            in_process_task = asyncio.create_task(in_process.run())
            process = WorkerProcess(settings, tmp_path / "worker.log")
            pids = {os.getpid(), process.pid}
            try:
                await beating(workers, pids)
                before = [await accept(registry, url) for url in urls[:BEFORE]]
                await beating(workers, pids, busy=True)

                redis_server.kill()
                await asyncio.sleep(OUTAGE_SECONDS)
                redis_server.start()

                seen: dict[int, set[str]] = defaultdict(set)
                stop_watching = asyncio.Event()
                watcher = asyncio.create_task(watch_who_runs(workers, seen, stop_watching))
                after = [await accept(registry, url) for url in urls[BEFORE:]]
                ended = await all_ended(registry, [j.id for j in (*before, *after)])
                stop_watching.set()
                await watcher
                alive_after = process.alive()
                await beating(workers, pids)  # both still beating, never restarted by hand
            finally:
                exit_code = process.stop()
                in_process.stop()
                async with asyncio.timeout(WAIT_SECONDS):
                    await in_process_task
    counts = await store_counts(settings)
    print(  # noqa: T201 - the figures the report quotes
        f"\nRedis killed for {OUTAGE_SECONDS:.0f} s during {BEFORE}+{AFTER} ingests: "
        f"{outcome(ended)}; jobs seen running after the restart by pid: "
        f"{ {pid: len(jobs) for pid, jobs in seen.items()} }; "
        f"in-process worker restarts: {in_process.restarts}; {counts}"
    )

    assert alive_after
    assert exit_code == 0
    assert all(j.state is IngestState.DONE for j in ended), outcome(ended)
    # each kind took jobs after the restart, by itself
    assert seen[process.pid]
    assert seen[os.getpid()]
    assert counts.artifacts == BEFORE + AFTER
    assert counts.duplicate_artifacts == 0
    assert counts.orphan_bundles == 0
    assert counts.documents_without_bundle == 0
    assert counts.held_locks == 0


async def test_a_worker_that_cannot_start_is_started_again_once_redis_is_up(
    mongo_url: str,
    model_hub: tuple[FakeHub, list[str]],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hub, _ = model_hub
    redis_server = RestartableRedis(tmp_path / "redis")  # not started: Redis is down
    settings = fault_settings(
        isolated_settings(mongo_url, redis_server.url, hub.url, tmp_path / "data")
    )
    supervisor = supervised_worker(settings, poll_delay=0.02)
    task = asyncio.create_task(supervisor.run())
    try:
        async with asyncio.timeout(WAIT_SECONDS):
            while supervisor.restarts < 2:  # noqa: ASYNC110 - the supervisor offers no event
                await asyncio.sleep(0.05)
        redis_server.start()
        async with worker_registry(settings) as workers:
            await beating(workers, {os.getpid()})
    finally:
        supervisor.stop()
        async with asyncio.timeout(WAIT_SECONDS):
            await task
        redis_server.stop()
    restarts = [r for r in caplog.records if "starting a new one" in r.getMessage()]
    assert len(restarts) >= 2  # each restart is logged
    assert not task.exception()
