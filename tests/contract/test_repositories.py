"""Repository queries against a MongoDB-protocol server (nx-27017; a real mongod when
TMR_TEST_MONGO_URL is set)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from app.artifacts.errors import DuplicateSourceError
from app.artifacts.repository import ArtifactRepository
from app.clock import utcnow
from app.ingest.entities import IngestState
from app.ingest.repository import IngestJobRepository
from app.storage import mongo
from tests.support.builders import artifact, ingest_job


@pytest.fixture
async def db(mongo_url: str) -> AsyncIterator[mongo.Database]:
    client = mongo.connect(mongo_url)
    try:
        yield client[f"repo_{uuid.uuid4().hex[:12]}"]
    finally:
        await client.close()


@pytest.fixture
async def artifacts(db: mongo.Database) -> ArtifactRepository:
    repo = ArtifactRepository(db)
    await repo.ensure_indexes()
    return repo


@pytest.fixture
async def jobs(db: mongo.Database) -> IngestJobRepository:
    repo = IngestJobRepository(db)
    await repo.ensure_indexes()
    return repo


async def test_artifact_round_trip(artifacts: ArtifactRepository) -> None:
    a = artifact("1")
    await artifacts.insert(a)
    assert await artifacts.get("1") == a
    assert await artifacts.find_by_source("hf:model:acme/model") == a


async def test_get_many_keeps_key_order_and_marks_missing(artifacts: ArtifactRepository) -> None:
    await artifacts.insert(artifact("1", "acme/one"))
    await artifacts.insert(artifact("2", "acme/two"))
    found = await artifacts.get_many(["2", "missing", "1"])
    assert [a.id if a else None for a in found] == ["2", None, "1"]


async def test_same_ingest_inserting_twice_is_a_no_op(artifacts: ArtifactRepository) -> None:
    await artifacts.insert(artifact("1", ingest_id="ing-1"))
    await artifacts.insert(artifact("1", ingest_id="ing-1"))
    assert await artifacts.count() == 1


async def test_a_second_artifact_for_one_source_is_refused(artifacts: ArtifactRepository) -> None:
    await artifacts.insert(artifact("1", ingest_id="ing-1"))
    with pytest.raises(DuplicateSourceError) as caught:
        await artifacts.insert(artifact("2", ingest_id="ing-2"))
    assert caught.value.existing_id == "1"
    assert await artifacts.count() == 1


async def test_ids_are_unique_under_concurrent_reservations(artifacts: ArtifactRepository) -> None:
    ids = await asyncio.gather(*(artifacts.next_id() for _ in range(50)))
    assert len(set(ids)) == 50
    assert all(i.isdigit() for i in ids)


async def test_delete(artifacts: ArtifactRepository) -> None:
    await artifacts.insert(artifact("1"))
    assert await artifacts.delete("1")
    assert not await artifacts.delete("1")
    assert await artifacts.get("1") is None


async def test_transitions_are_recorded_in_order(jobs: IngestJobRepository) -> None:
    job = ingest_job("j1")
    await jobs.insert(job)
    fetched = await jobs.transition(job, IngestState.FETCHING, utcnow())
    assert fetched is not None
    done = await jobs.transition(fetched, IngestState.DONE, utcnow(), stored=True)
    assert fetched.seq == 2
    assert done is not None
    assert done.seq == 3
    assert done.stored
    assert [h.state for h in done.history] == [
        IngestState.QUEUED,
        IngestState.FETCHING,
        IngestState.DONE,
    ]
    assert await jobs.get("j1") == done


async def test_a_finished_job_does_not_move(jobs: IngestJobRepository) -> None:
    job = ingest_job("j1")
    await jobs.insert(job)
    await jobs.transition(job, IngestState.FAILED, utcnow())
    # A writer holding the stale QUEUED copy cannot move it either.
    assert await jobs.transition(job, IngestState.FETCHING, utcnow()) is None


async def test_a_stale_writer_builds_on_the_latest_state(jobs: IngestJobRepository) -> None:
    job = ingest_job("j1")
    await jobs.insert(job)
    await jobs.transition(job, IngestState.FETCHING, utcnow())
    stored = await jobs.transition(job, IngestState.STORING, utcnow())
    assert stored is not None
    assert stored.seq == 3
    assert [h.state for h in stored.history] == [
        IngestState.QUEUED,
        IngestState.FETCHING,
        IngestState.STORING,
    ]


async def test_one_source_lock_per_key(jobs: IngestJobRepository) -> None:
    assert await jobs.acquire_source("hf:model:a/b", "j1") is None
    assert await jobs.acquire_source("hf:model:a/b", "j2") == "j1"
    await jobs.release_source("hf:model:a/b", "j2")  # not the holder: no effect
    assert await jobs.acquire_source("hf:model:a/b", "j3") == "j1"
    await jobs.release_source("hf:model:a/b", "j1")
    assert await jobs.acquire_source("hf:model:a/b", "j3") is None
