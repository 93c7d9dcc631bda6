"""``kill -9`` the worker while it copies a model's files into the blob store: the job is run
again by the next worker, which references what the first copied instead of fetching it again,
and ends DONE with every file held once and nothing else left in the store.

The worker is ``tmr worker`` in a process of its own; the API side runs in the test's loop.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app.ingest.entities import IngestState
from app.kinds import ArtifactType
from app.mirror.entities import MirroredFile
from app.settings import Settings
from tests.fakehub import FakeHub
from tests.faults.conftest import WAIT_SECONDS, all_ended, fault_settings
from tests.support.processes import WorkerProcess
from tests.support.registry import isolated_settings, running_registry

pytestmark = pytest.mark.timeout(300)

MODEL = "https://huggingface.co/tmr-fixtures/tiny-bert-base"
#: Read again by every attempt before it copies anything: the snapshot of the card and config.
SNAPSHOT = frozenset({"README.md", "config.json"})


async def test_a_worker_killed_mid_copy_is_continued_not_restarted(
    mongo_url: str, redis_url: str, hub: FakeHub, tmp_path: Path
) -> None:
    # Each request waits this long at the hub: the copy of six files, four at a time, takes
    # about a second, and a kill lands in its middle.
    hub.latency = 0.4
    settings = fault_settings(
        isolated_settings(mongo_url, redis_url, hub.url, tmp_path / "data"),
        mirror_max_bytes=64 * 1024 * 1024,
        upstream_allowed_hosts=[hub.hf.cdn_url],
    )
    logs = tmp_path / "workers.log"
    async with running_registry(settings, worker=False) as registry:
        job = await registry.services.ingest.start(MODEL, ArtifactType.MODEL, None, "tester")
        first = WorkerProcess(settings, logs)
        copied_before_kill: set[str] = set()
        async with asyncio.timeout(WAIT_SECONDS):
            async for seen in registry.services.ingest.watch(job.id):
                done = {f.path for f in seen.files if f.done == f.total} - SNAPSHOT
                if seen.state is IngestState.MIRRORING and done:
                    copied_before_kill = done
                    first.kill()  # mid-copy: some files held, the rest not
                    break
                assert not seen.state.terminal, seen
        assert copied_before_kill
        paths_before = {r.path for r in hub.requests}
        hub.clear_requests()
        second = WorkerProcess(settings, logs)
        try:
            [ended] = await all_ended(registry, [job.id])
        finally:
            second.stop()
    assert ended.state is IngestState.DONE, ended.error
    assert ended.attempts > 1
    refetched = {r.path.rsplit("/", 1)[-1] for r in hub.requests}
    # what the killed attempt had copied was referenced again, not fetched again
    assert not copied_before_kill & refetched, (copied_before_kill, refetched)
    assert paths_before  # the first attempt did fetch them
    artifact = await registry_artifact(settings, ended.drawn_id)
    held = {f.sha256 for f in artifact}
    folder = settings.data_dir / "blobs" / "files"
    stored = {p.name for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")}
    assert stored == held  # every file once, nothing orphaned
    # what the killed upload left half-written is swept by the workers' periodic pass
    await sweep(settings)
    assert {p.name for p in folder.rglob("*") if p.is_file()} == held


async def sweep(settings: Settings) -> None:
    async with running_registry(settings, worker=False) as registry:
        await registry.services.files.discard_partial(0)


async def registry_artifact(settings: Settings, artifact_id: str) -> tuple[MirroredFile, ...]:
    async with running_registry(settings, worker=False) as registry:
        found = await registry.services.artifacts.get(artifact_id)
    assert found.manifest is not None
    return found.manifest.files
