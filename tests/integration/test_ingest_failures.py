"""What goes wrong during an ingest, with real backends made to fail: nothing half-stored,
nothing stored twice, every failure a typed, explained FAILED state."""

from __future__ import annotations

import asyncio
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from app.artifacts.repository import ArtifactRepository
from app.ingest.entities import IngestState
from app.ingest.repository import IngestJobRepository
from app.settings import Settings
from app.storage import mongo
from tests.fakehub import FakeHub
from tests.support import queries
from tests.support.builders import artifact
from tests.support.registry import Registry, running_registry
from tests.support.servers import s3_server

BERT = "https://huggingface.co/google-bert/bert-base-uncased"


async def start(registry: Registry, url: str, kind: str = "MODEL") -> dict[str, Any]:
    payload: dict[str, Any] = (await registry.gql(queries.INGEST, url=url, type=kind))["ingest"]
    return payload


async def final_state(registry: Registry, job_id: str) -> dict[str, Any]:
    events = await registry.subscribe(queries.PROGRESS, jobId=job_id)
    last: dict[str, Any] = events[-1]["data"]["ingestProgress"]
    return last


async def stored_count(settings: Settings) -> int:
    client = mongo.connect(settings.mongo_url or "")
    try:
        return await ArtifactRepository(client[settings.mongo_database]).count()
    finally:
        await client.close()


async def test_a_failed_blob_write_leaves_no_document(settings: Settings, tmp_path: Path) -> None:
    with ExitStack() as s3_process:
        endpoint = s3_process.enter_context(s3_server(tmp_path))
        s3_settings = settings.model_copy(
            update={
                "s3_endpoint": endpoint,
                "s3_bucket": "doomed",
                "worker_max_tries": 1,
            }
        )
        async with running_registry(s3_settings) as registry:
            s3_process.close()  # the S3 server dies after startup: no bundle can be written
            job = (await start(registry, BERT))["job"]
            final = await final_state(registry, job["id"])
    assert final["state"] == "FAILED"
    assert final["error"]["code"] == "backend_unavailable"
    assert final["artifact"] is None
    assert await stored_count(settings) == 0


async def test_a_failed_document_write_removes_the_blob(settings: Settings) -> None:
    async with running_registry(settings, worker=False) as registry:
        job_id = (await start(registry, BERT))["job"]["id"]
        # Another document already holds the id this ingest will draw past the gate (the one
        # after this draw): MongoDB's unique _id refuses the insert after the bundle was
        # written.
        drawn_id = str(int(await registry.services.artifacts.reserve_id()) + 1)
        client = mongo.connect(settings.mongo_url or "")
        try:
            clash = replace(artifact(drawn_id, "someone/else", ingest_id="other"))
            await ArtifactRepository(client[settings.mongo_database]).insert(clash)
        finally:
            await client.close()
        await registry.services.ingest.run(job_id)
        failed = await registry.services.ingest.get(job_id)
        blobs = registry.services.artifacts._blobs
        assert failed.state is IngestState.FAILED
        assert failed.error is not None
        assert failed.error.code == "conflict"
        assert failed.artifact_id == drawn_id
        assert not await blobs.exists(f"artifacts/{drawn_id}/{job_id}.zip")
        assert (await registry.services.artifacts.get(drawn_id)).ingest_id == "other"


async def test_a_retried_job_does_not_store_a_second_artifact(settings: Settings) -> None:
    async with running_registry(settings, worker=False) as registry:
        job_id = (await start(registry, BERT))["job"]["id"]
        await registry.services.ingest.run(job_id)
        done = await registry.services.ingest.get(job_id)
        assert done.state is IngestState.DONE
        # The worker died after storing but before its DONE was written: the queue runs the
        # job again from a live state.
        client = mongo.connect(settings.mongo_url or "")
        try:
            jobs = IngestJobRepository(client[settings.mongo_database])
            await jobs._jobs.update_one({"_id": job_id}, {"$set": {"state": "STORING"}})
        finally:
            await client.close()
        await registry.services.ingest.run(job_id, attempt=2)
        again = await registry.services.ingest.get(job_id)
    assert again.state is IngestState.DONE
    assert again.artifact_id == done.artifact_id
    assert await stored_count(settings) == 1


async def test_unknown_upstream_repo_fails_with_a_typed_error(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        job = (await start(registry, "https://huggingface.co/acme/does-not-exist"))["job"]
        final = await final_state(registry, job["id"])
    assert final["state"] == "FAILED"
    assert final["error"]["code"] == "upstream_not_found"
    assert await stored_count(settings) == 0


async def test_gated_model_without_token_registers_from_its_public_metadata(
    settings: Settings,
) -> None:
    async with running_registry(settings) as registry:
        job = (await start(registry, "https://huggingface.co/meta-llama/Llama-3.2-1B"))["job"]
        final = await final_state(registry, job["id"])
        stored = await registry.services.artifacts.get(final["artifact"]["id"])
    assert final["state"] == "DONE", final
    assert stored.metadata_fetched
    assert stored.license == "llama3.2"  # from the public metadata: the card is gated
    assert stored.readme == ""


async def test_gated_model_with_a_token_is_ingested(settings: Settings) -> None:
    with_token = settings.model_copy(update={"hf_token": SecretStr("hf_test_token")})
    async with running_registry(with_token) as registry:
        job = (await start(registry, "https://huggingface.co/meta-llama/Llama-3.2-1B"))["job"]
        final = await final_state(registry, job["id"])
    assert final["state"] == "DONE"


async def test_rate_limits_are_waited_out(settings: Settings, hub: FakeHub) -> None:
    path = "/api/models/google-bert/bert-base-uncased"
    hub.inject_fault(path, status=429, times=1, retry_after=0.2)
    async with running_registry(settings) as registry:
        job = (await start(registry, BERT))["job"]
        final = await final_state(registry, job["id"])
    assert final["state"] == "DONE"
    # the 429, then the listing (the few-byte ?expand[]=sha check after it learns a validator)
    assert sum(1 for r in hub.requests if r.path == path and "expand" not in r.query) == 2


async def test_unreachable_upstream_fails_after_bounded_retries(settings: Settings) -> None:
    from app.embedded import free_port  # noqa: PLC0415

    dead = settings.model_copy(
        update={
            "hf_endpoint": f"http://127.0.0.1:{free_port()}",
            "worker_max_tries": 1,
        }
    )
    async with running_registry(dead) as registry:
        job = (await start(registry, BERT))["job"]
        final = await final_state(registry, job["id"])
    assert final["state"] == "FAILED"
    assert final["error"]["code"] == "upstream_unavailable"
    assert final["attempts"] == 1


async def test_invalid_requests_are_refused_and_store_nothing(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        cases = [
            ("https://example.com/acme/model", "MODEL", "ValidationError"),
            ("http://127.0.0.1:9/acme/model", "MODEL", "ValidationError"),
            ("https://github.com/openai/whisper", "MODEL", "ValidationError"),
            ("https://huggingface.co/datasets/stanfordnlp/imdb", "CODE", "ValidationError"),
            ("not a url", "DATASET", "ValidationError"),
        ]
        for url, kind, typename in cases:
            payload = await start(registry, url, kind)
            assert payload["job"] is None
            assert payload["error"]["__typename"] == typename
            assert payload["error"]["field"] == "url"
        bad_name = (await registry.gql(queries.INGEST, url=BERT, type="MODEL", name=" "))["ingest"]
        assert bad_name["error"]["field"] == "name"
        wrong_type = await registry.execute(queries.INGEST, url=BERT, type="WEIGHTS")
        assert "errors" in wrong_type
        client = mongo.connect(settings.mongo_url or "")
        try:
            assert await client[settings.mongo_database]["ingest_jobs"].count_documents({}) == 0
        finally:
            await client.close()
    assert await stored_count(settings) == 0


async def test_a_stored_source_is_a_conflict(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        first = await final_state(registry, (await start(registry, BERT))["job"]["id"])
        second = await start(registry, f"{BERT}/tree/main")
    assert second["job"] is None
    assert second["error"]["__typename"] == "ConflictError"
    assert second["error"]["existingId"] == first["artifact"]["id"]


async def test_the_same_source_in_flight_is_one_ingest(settings: Settings, hub: FakeHub) -> None:
    hub.latency = 0.1
    async with running_registry(settings) as registry:
        payloads = await asyncio.gather(*(start(registry, BERT) for _ in range(5)))
        ids = {p["job"]["id"] for p in payloads}
        assert len(ids) == 1
        final = await final_state(registry, ids.pop())
    assert final["state"] == "DONE"
    assert await stored_count(settings) == 1


async def test_an_upstream_that_hangs_fails_the_job_in_time(
    settings: Settings, hub: FakeHub
) -> None:
    hub.inject_fault("/api/models/google-bert/bert-base-uncased", status=200, delay=5.0)
    async with running_registry(settings, worker=False) as registry:
        job_id = (await start(registry, BERT))["job"]["id"]
        await registry.services.ingest.run(job_id, time_limit=0.5)
        failed = await registry.services.ingest.get(job_id)
    assert failed.state is IngestState.FAILED
    assert failed.error is not None
    assert failed.error.code == "timeout"
    assert await stored_count(settings) == 0
