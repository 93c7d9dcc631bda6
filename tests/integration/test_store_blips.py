"""A document-store blip while an ingest stores its artifact: the job is retried, not failed as
a bug, and a write that landed although the driver timed out keeps its bundle."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymongo.errors import NetworkTimeout

from app.artifacts.repository import ArtifactRepository
from app.ingest.entities import IngestState
from app.kinds import ArtifactType
from app.settings import Settings
from tests.support.registry import Registry, running_registry

WHISPER = "https://huggingface.co/openai/whisper-tiny"


async def _ingest_with_blip(
    registry: Registry, monkeypatch: pytest.MonkeyPatch, *, write_lands: bool
) -> tuple[Any, Any]:
    # on the class: the worker builds repositories of its own
    real_insert = ArtifactRepository.insert
    blips = [NetworkTimeout("the store did not answer in time")]

    async def insert(repo: ArtifactRepository, artifact: Any) -> Any:  # noqa: ANN401
        if blips:
            if write_lands:
                await real_insert(repo, artifact)
            raise blips.pop()
        return await real_insert(repo, artifact)

    monkeypatch.setattr(ArtifactRepository, "insert", insert)
    job = await registry.services.ingest.start(WHISPER, ArtifactType.MODEL, None, "tester")
    async with asyncio.timeout(60):
        async for ended in registry.services.ingest.watch(job.id):
            if ended.state.terminal:
                break
    read = await registry.client.get(f"/artifacts/model/{ended.artifact_id}")
    bundle = await registry.client.get(read.json()["data"]["download_url"])
    return ended, bundle


@pytest.mark.parametrize("write_lands", [False, True], ids=["write lost", "write landed"])
async def test_a_store_blip_is_retried_and_the_bundle_stays(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, write_lands: bool
) -> None:
    async with running_registry(settings) as registry:
        ended, bundle = await _ingest_with_blip(registry, monkeypatch, write_lands=write_lands)
    assert ended.state is IngestState.DONE, ended.error
    assert bundle.status_code == 200
    assert bundle.content[:2] == b"PK"
