"""``kill -9`` the worker, five times, during twenty ingests (issue 9): every job still ends,
DONE or FAILED with a reason, and the stores agree: no artifact twice, no bundle without its
document or document without its bundle, no source left locked.

The worker is ``tmr worker`` in a process of its own, as deployed; the API side runs in the
test's loop on the session's Redis and nx-27017 (a worker is what dies here, not a backend).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.ingest.entities import IngestState
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
from tests.support.registry import isolated_settings, running_registry

#: Processes start slowly on a loaded machine; every wait inside is bounded on its own.
pytestmark = pytest.mark.timeout(300)

INGESTS = 20
KILLS = 5


async def running_on(registry: RedisWorkerRegistry, worker: WorkerProcess) -> frozenset[str]:
    """Wait until the worker process beats with jobs in hand; those jobs."""
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            for beat in await registry.live():
                if beat.pid == worker.pid and beat.running:
                    return beat.running
            assert worker.alive(), "tmr worker exited by itself"
            await asyncio.sleep(0.05)


async def beating(registry: RedisWorkerRegistry, worker: WorkerProcess) -> None:
    """Wait until the worker process has come up and beats."""
    async with asyncio.timeout(WAIT_SECONDS):
        while not any(beat.pid == worker.pid for beat in await registry.live()):
            assert worker.alive(), "tmr worker exited by itself"
            await asyncio.sleep(0.05)


async def test_kill_9_during_ingests_leaves_every_job_ended_and_the_stores_consistent(
    mongo_url: str,
    redis_url: str,
    model_hub: tuple[FakeHub, list[str]],
    tmp_path: Path,
) -> None:
    hub, urls = model_hub
    hub.latency = 0.05  # each ingest takes a second or so: kills land mid-job
    settings = fault_settings(isolated_settings(mongo_url, redis_url, hub.url, tmp_path / "data"))
    logs = tmp_path / "workers.log"
    killed_mid_job: set[str] = set()
    async with (
        running_registry(settings, worker=False) as registry,
        worker_registry(settings) as workers,
    ):
        jobs = [
            await registry.services.ingest.start(url, ArtifactType.MODEL, None, "tester")
            for url in urls[:INGESTS]
        ]
        for k in range(KILLS):
            worker = WorkerProcess(settings, logs)
            killed_mid_job |= await running_on(workers, worker)
            await asyncio.sleep(0.1 * k)  # some kills at a job's start, some later on
            worker.kill()
        last = WorkerProcess(settings, logs)
        try:
            ended = await all_ended(registry, [j.id for j in jobs])
            # the jobs may all have ended before the last worker came up: the clean stop is
            # a stop of a running worker, not of a process still importing
            await beating(workers, last)
        finally:
            exit_code = last.stop()
    counts = await store_counts(settings)
    print(f"\nkill -9 x{KILLS}, {INGESTS} ingests: {outcome(ended)}; {counts}")  # noqa: T201 - the figures the report quotes

    assert exit_code == 0  # SIGTERM: a clean stop
    assert killed_mid_job  # the kills did cut jobs short
    assert any(j.attempts > 1 for j in ended)  # and those jobs ran again
    for job in ended:
        assert job.state in {IngestState.DONE, IngestState.FAILED}
        if job.state is IngestState.FAILED:
            assert job.error is not None
            assert job.error.code == "worker_crashed", job.error
    assert counts.artifacts == sum(j.state is IngestState.DONE for j in ended)
    assert counts.duplicate_artifacts == 0
    assert counts.orphan_bundles == 0
    assert counts.documents_without_bundle == 0
    assert counts.held_locks == 0
