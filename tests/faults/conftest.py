"""What the fault tests share: many distinct models to ingest (the registry runs one ingest
per source), settings with liveness in tenths of a second, and the store counts an operator
takes after a fault."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from app.ingest.entities import IngestJob, IngestState
from app.queue import Heartbeat, RedisWorkerRegistry
from app.settings import Settings
from app.storage import mongo
from tests.fakehub import DEFAULT_FIXTURES, FakeHub
from tests.fakehub.clones import clone_model
from tests.support.registry import Registry

MODEL = "openai/whisper-tiny"
#: Bounds every wait of a fault test; what today's code does instead is wait for arq's job
#: timeout (600 s) or forever.
WAIT_SECONDS = 90


def fault_settings(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(
        update={
            "worker_heartbeat_seconds": 0.3,
            "worker_reconnect_max_seconds": 1.0,
            "worker_orphan_grace_seconds": 2.0,
            "worker_max_jobs": 4,
            "worker_max_tries": 3,
            **changes,
        }
    )


@pytest.fixture(scope="module")
def model_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeHub, list[str]]]:
    """A hub serving 40 distinct models, and their URLs."""
    fixtures = tmp_path_factory.mktemp("fault-fixtures")
    shutil.copytree(DEFAULT_FIXTURES, fixtures, dirs_exist_ok=True)
    urls = [
        f"https://huggingface.co/{repo_id}"
        for repo_id in clone_model(fixtures, MODEL, "fault-org", 40, source=DEFAULT_FIXTURES)
    ]
    with FakeHub(fixtures) as hub:
        yield hub, urls


@asynccontextmanager
async def worker_registry(settings: Settings) -> AsyncIterator[RedisWorkerRegistry]:
    """The heartbeats of the workers serving ``settings``' queue, as the reconciler reads them."""
    redis = Redis.from_url(settings.redis_url or "")
    try:
        yield RedisWorkerRegistry(
            redis, settings.queue_name, Heartbeat(settings.worker_heartbeat_seconds)
        )
    finally:
        await redis.aclose()


async def all_ended(registry: Registry, job_ids: Iterable[str]) -> list[IngestJob]:
    async def one(job_id: str) -> IngestJob:
        async for job in registry.services.ingest.watch(job_id):
            last = job
        return last

    async with asyncio.timeout(WAIT_SECONDS):
        return list(await asyncio.gather(*(one(j) for j in job_ids)))


@dataclass(frozen=True)
class StoreCounts:
    """What an operator counts after a fault; every one but ``artifacts`` must be 0."""

    artifacts: int
    duplicate_artifacts: int  # documents beyond the first for one source
    orphan_bundles: int  # bundle files no document points to
    documents_without_bundle: int
    # Sources locked by a job still in flight. A lock whose job has ended (a worker killed
    # between ending the job and freeing the lock) blocks nothing: the next claim of the
    # source takes it over (JobStates.claim), and the reconciler frees it on its next turn.
    held_locks: int


async def store_counts(settings: Settings) -> StoreCounts:
    client = mongo.connect(settings.mongo_url or "")
    try:
        db = client[settings.mongo_database]
        docs = [d async for d in db["artifacts"].find({}, {"source_key": 1, "blob": 1})]
        holders = [d["job_id"] async for d in db["ingest_locks"].find({})]
        live = {"$nin": [s.value for s in IngestState if s.terminal]}
        held_locks = await db["ingest_jobs"].count_documents(
            {"_id": {"$in": holders}, "state": live}
        )
    finally:
        await client.close()
    root = settings.data_dir / "blobs"
    bundles = {p.relative_to(root).as_posix() for p in root.rglob("*.zip") if p.is_file()}
    keys = {d["blob"]["key"] for d in docs}
    sources = [d["source_key"] for d in docs]
    return StoreCounts(
        artifacts=len(docs),
        duplicate_artifacts=len(sources) - len(set(sources)),
        orphan_bundles=len(bundles - keys),
        documents_without_bundle=len(keys - bundles),
        held_locks=held_locks,
    )


def outcome(jobs: Iterable[IngestJob]) -> dict[str, int]:
    """Jobs by final state, FAILED ones by reason: what the fault tests print."""
    counts: dict[str, int] = {}
    for job in jobs:
        key = job.state.value
        if job.state is IngestState.FAILED:
            key += f":{job.error.code if job.error else 'no reason'}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))
