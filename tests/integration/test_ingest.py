"""Ingest end to end: GraphQL mutation -> arq job on Redis -> fake hub -> ZIP in the blob
store -> document in MongoDB, watched through the ingestProgress subscription."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.settings import Settings
from tests.fakehub import FakeHub
from tests.support import queries
from tests.support.registry import Registry, registry_in_task

BERT = "https://huggingface.co/google-bert/bert-base-uncased"


@pytest.fixture(params=["local", "s3"])
async def registry(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Registry]:
    chosen = settings if request.param == "local" else request.getfixturevalue("s3_settings")
    async with registry_in_task(chosen) as running:
        yield running


async def ingest(
    registry: Registry, url: str, kind: str, name: str | None = None
) -> dict[str, Any]:
    data = await registry.gql(queries.INGEST, url=url, type=kind, name=name)
    payload: dict[str, Any] = data["ingest"]
    return payload


async def ingest_to_end(
    registry: Registry, url: str, kind: str, name: str | None = None
) -> list[dict[str, Any]]:
    payload = await ingest(registry, url, kind, name)
    assert payload["error"] is None, payload
    events = await registry.subscribe(queries.PROGRESS, jobId=payload["job"]["id"])
    return [e["data"]["ingestProgress"] for e in events]


async def test_model_ingest_reaches_done_and_stores_a_real_bundle(registry: Registry) -> None:
    payload = await ingest(registry, f"{BERT}/tree/main", "MODEL")
    assert payload["error"] is None
    assert payload["job"]["state"] == "QUEUED"
    events = [
        e["data"]["ingestProgress"]
        for e in await registry.subscribe(queries.PROGRESS, jobId=payload["job"]["id"])
    ]
    states = [e["state"] for e in events]
    assert states[-1] == "DONE", events
    job = (await registry.gql(queries.JOB, id=payload["job"]["id"]))["ingestJob"]
    assert [h["state"] for h in job["history"]] == [
        "QUEUED",
        "FETCHING",
        "SCORING",
        "GATED",
        "MIRRORING",
        "STORING",
        "DONE",
    ]
    artifact_id = events[-1]["artifact"]["id"]

    art = (await registry.gql(queries.ARTIFACT, id=artifact_id))["artifact"]
    assert art["name"] == "bert-base-uncased"
    assert art["type"] == "MODEL"
    assert art["sourceUrl"] == f"{BERT}/tree/main"  # verbatim
    assert art["sourceKey"] == "hf:model:google-bert/bert-base-uncased"
    assert art["license"] == "apache-2.0"
    assert art["sizeBytes"] > 400_000_000  # the upstream weights, not the bundle
    assert len(art["revision"]) == 40
    assert "BERT" in art["readme"]

    response = await _download(registry, art["downloadUrl"])
    bundle = zipfile.ZipFile(io.BytesIO(response))
    names = set(bundle.namelist())
    assert {"README.md", "config.json", "metadata.json", "registry.json"} <= names
    assert json.loads(bundle.read("config.json"))["model_type"] == "bert"
    assert json.loads(bundle.read("metadata.json"))["id"] == "google-bert/bert-base-uncased"
    record = json.loads(bundle.read("registry.json"))
    assert record["id"] == artifact_id
    assert record["revision"] == art["revision"]


async def test_dataset_and_code_ingests_store_their_readmes(registry: Registry) -> None:
    dataset = await ingest_to_end(
        registry, "https://huggingface.co/datasets/stanfordnlp/imdb", "DATASET"
    )
    code = await ingest_to_end(
        registry, "https://github.com/openai/whisper.git", "CODE", name="openai-whisper"
    )
    assert dataset[-1]["state"] == "DONE"
    assert code[-1]["state"] == "DONE"
    art = (await registry.gql(queries.ARTIFACT, id=code[-1]["artifact"]["id"]))["artifact"]
    assert art["name"] == "openai-whisper"
    assert art["license"] == "MIT"
    assert "Whisper" in art["readme"]
    bundle = zipfile.ZipFile(io.BytesIO(await _download(registry, art["downloadUrl"])))
    assert json.loads(bundle.read("metadata.json"))["full_name"] == "openai/whisper"


async def test_delete_removes_document_and_blob(registry: Registry) -> None:
    events = await ingest_to_end(registry, BERT, "MODEL")
    artifact_id = events[-1]["artifact"]["id"]
    stored = await registry.services.artifacts.get(artifact_id)
    blobs = registry.services.artifacts._blobs
    assert await blobs.exists(stored.blob.key)

    deleted = (await registry.gql(queries.DELETE, id=artifact_id))["deleteArtifact"]
    assert deleted == {"deletedId": artifact_id, "error": None}
    assert (await registry.gql(queries.ARTIFACT, id=artifact_id))["artifact"] is None
    assert not await blobs.exists(stored.blob.key)

    again = (await registry.gql(queries.DELETE, id=artifact_id))["deleteArtifact"]
    assert again["deletedId"] is None
    assert again["error"]["__typename"] == "NotFoundError"


async def test_late_subscriber_gets_the_final_state(registry: Registry) -> None:
    events = await ingest_to_end(registry, BERT, "MODEL")
    job_id = events[0]["id"]
    late = await registry.subscribe(queries.PROGRESS, jobId=job_id)
    assert [e["data"]["ingestProgress"]["state"] for e in late] == ["DONE"]


async def test_subscription_sees_every_transition_in_order(
    registry: Registry, hub: FakeHub
) -> None:
    hub.latency = 0.05  # slow enough that the subscriber joins before the end
    events = await ingest_to_end(registry, BERT, "MODEL")
    states = [e["state"] for e in events]
    # SCORING repeats while metric results arrive; each state is entered once, in order.
    entered = [s for i, s in enumerate(states) if i == 0 or states[i - 1] != s]
    order = ["QUEUED", "FETCHING", "SCORING", "GATED", "MIRRORING", "STORING", "DONE"]
    assert entered == order[order.index(entered[0]) :]
    job = (await registry.gql(queries.JOB, id=events[0]["id"]))["ingestJob"]
    assert [h["state"] for h in job["history"]] == order


async def test_a_passed_gate_and_mirroring_are_two_steps_of_one_write(
    registry: Registry, hub: FakeHub
) -> None:
    hub.latency = 0.05  # the watcher joins before scoring ends
    payload = await ingest(registry, BERT, "MODEL")
    seen = [job async for job in registry.services.ingest.watch(payload["job"]["id"])]
    by_state = {job.state.value: job for job in seen}
    gated, mirroring = by_state["GATED"], by_state["MIRRORING"]
    assert mirroring.seq == gated.seq + 1
    assert [h.state.value for h in gated.history][-2:] == ["SCORING", "GATED"]
    assert [h.state.value for h in mirroring.history][-3:] == ["SCORING", "GATED", "MIRRORING"]
    assert gated.history[-1].at == mirroring.history[-1].at  # written together
    assert gated.gate is not None
    assert gated.gate.passed


async def test_s3_links_name_the_public_endpoint_when_one_is_set(
    s3_settings: Settings,
) -> None:
    # One S3 server under two names: the registry's (127.0.0.1) and its clients' (localhost).
    assert s3_settings.s3_endpoint is not None
    public = s3_settings.s3_endpoint.replace("127.0.0.1", "localhost")
    settings = s3_settings.model_copy(update={"s3_public_endpoint": public})
    async with registry_in_task(settings) as registry:
        events = await ingest_to_end(registry, BERT, "MODEL")
        art = (await registry.gql(queries.ARTIFACT, id=events[-1]["artifact"]["id"]))["artifact"]
        assert art["downloadUrl"].startswith(public + "/")
        assert (await _download(registry, art["downloadUrl"])).startswith(b"PK")


async def _download(registry: Registry, url: str) -> bytes:
    response = await registry.client.get(url)
    if response.status_code == 200 and response.content.startswith(b"PK"):
        return response.content
    # S3 presigned URLs point at the S3 server, not at the app.
    import httpx  # noqa: PLC0415

    async with httpx.AsyncClient() as http:
        response = await http.get(url)
    assert response.status_code == 200, response.text
    return response.content
