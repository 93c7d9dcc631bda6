"""updateArtifact: a re-ingest through the queue that replaces the stored version only when
the new one passes the gate."""

from __future__ import annotations

from typing import Any

from app.settings import Settings
from tests.fakehub import FakeHub
from tests.support import queries
from tests.support.registry import Registry, running_registry

UPDATE = """
mutation Update($id: ID!, $url: String!) {
  updateArtifact(id: $id, url: $url) {
    job { id state }
    error { __typename ... on Error { code message } }
  }
}
"""

STORED = """
query Stored($id: ID!) { artifact(id: $id) { id name sourceUrl revision downloadUrl } }
"""


async def _finish(registry: Registry, job_id: str) -> dict[str, Any]:
    events = await registry.subscribe(queries.PROGRESS, jobId=job_id)
    final: dict[str, Any] = events[-1]["data"]["ingestProgress"]
    return final


async def _ingest(registry: Registry, url: str) -> str:
    payload = (await registry.gql(queries.INGEST, url=url, type="MODEL"))["ingest"]
    final = await _finish(registry, payload["job"]["id"])
    assert final["state"] == "DONE", final
    artifact_id: str = final["artifact"]["id"]
    return artifact_id


async def test_update_replaces_the_artifact_under_the_same_id(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        artifact_id = await _ingest(registry, "https://huggingface.co/openai/whisper-tiny")
        before = (await registry.gql(STORED, id=artifact_id))["artifact"]
        old_blob = (await registry.services.artifacts.get(artifact_id)).blob.key
        new_url = "https://huggingface.co/openai/whisper-tiny/tree/main"
        payload = (await registry.gql(UPDATE, id=artifact_id, url=new_url))["updateArtifact"]
        assert payload["error"] is None
        final = await _finish(registry, payload["job"]["id"])
        after = (await registry.gql(STORED, id=artifact_id))["artifact"]
        stored = await registry.services.artifacts.get(artifact_id)
        blobs = registry.services.artifacts._blobs
        assert not await blobs.exists(old_blob)
        assert await blobs.exists(stored.blob.key)
    assert final["state"] == "DONE"
    assert final["artifact"]["id"] == artifact_id
    assert after["sourceUrl"] == new_url
    assert before["sourceUrl"] != after["sourceUrl"]
    assert after["name"] == before["name"]


async def test_a_rejected_update_keeps_the_old_version(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        artifact_id = await _ingest(registry, "https://huggingface.co/openai/whisper-tiny")
        before = await registry.services.artifacts.get(artifact_id)
    gated = settings.model_copy(
        update={"gate_enabled": True, "gate_requirements": {"license": 1.1}}
    )
    async with running_registry(gated) as registry:
        payload = (
            await registry.gql(
                UPDATE,
                id=artifact_id,
                url="https://huggingface.co/openai/whisper-tiny/tree/main",
            )
        )["updateArtifact"]
        final = await _finish(registry, payload["job"]["id"])
        after = await registry.services.artifacts.get(artifact_id)
        assert await registry.services.artifacts._blobs.exists(before.blob.key)
    assert final["state"] == "FAILED"
    assert final["error"]["code"] == "gate_rejected"
    assert after == before


async def test_update_refuses_bad_requests(settings: Settings, hub: FakeHub) -> None:
    async with running_registry(settings) as registry:
        whisper = await _ingest(registry, "https://huggingface.co/openai/whisper-tiny")
        await _ingest(registry, "https://huggingface.co/google-bert/bert-base-uncased")
        missing = await registry.gql(UPDATE, id="999999", url="https://huggingface.co/a/b")
        bad_url = await registry.gql(UPDATE, id=whisper, url="https://example.com/a/b")
        taken = await registry.gql(
            UPDATE, id=whisper, url="https://huggingface.co/google-bert/bert-base-uncased"
        )
        requests_before = len(hub.requests)
        as_code = await registry.gql(UPDATE, id=whisper, url="https://github.com/openai/whisper")
    assert missing["updateArtifact"]["error"]["__typename"] == "NotFoundError"
    assert bad_url["updateArtifact"]["error"]["__typename"] == "ValidationError"
    assert taken["updateArtifact"]["error"]["__typename"] == "ConflictError"
    assert as_code["updateArtifact"]["error"]["__typename"] == "ValidationError"
    assert len(hub.requests) == requests_before


BERT_URL = "https://huggingface.co/google-bert/bert-base-uncased"
BERT_INFO = "/api/models/google-bert/bert-base-uncased"
BERT_CODE = "/repos/google-research/bert"


def info_reads(hub: FakeHub) -> int:
    """Reads of bert's listing for scoring (not the few-byte revision checks that learn the
    model's validator: ``?expand[]=sha``)."""
    return sum(1 for r in hub.requests if r.path == BERT_INFO and "expand" not in r.query)


async def test_an_update_reads_the_model_and_its_links_afresh(
    settings: Settings, hub: FakeHub
) -> None:
    async with running_registry(settings) as registry:
        artifact_id = await _ingest(registry, BERT_URL)
        first = (info_reads(hub), hub.count(BERT_CODE))
        payload = (await registry.gql(UPDATE, id=artifact_id, url=BERT_URL))["updateArtifact"]
        final = await _finish(registry, payload["job"]["id"])
    assert final["state"] == "DONE", final
    assert first == (1, 1)
    # Whoever updates may just have fixed the linked repo: nothing is served from the cache.
    assert (info_reads(hub), hub.count(BERT_CODE)) == (2, 2)


async def test_a_new_ingest_reads_its_model_afresh_and_shares_what_it_links(
    settings: Settings, hub: FakeHub
) -> None:
    async with running_registry(settings) as registry:
        artifact_id = await _ingest(registry, BERT_URL)
        await registry.services.artifacts.delete(artifact_id)
        await _ingest(registry, BERT_URL)
    # The model is what the ingest is about: read again. Its linked code repo was read a
    # moment ago by this worker and is served from the shared cache.
    assert (info_reads(hub), hub.count(BERT_CODE)) == (2, 1)


async def test_without_the_shared_cache_every_ingest_reads_its_links(
    settings: Settings, hub: FakeHub
) -> None:
    settings = settings.model_copy(update={"upstream_cache_seconds": 0})
    async with running_registry(settings) as registry:
        artifact_id = await _ingest(registry, BERT_URL)
        await registry.services.artifacts.delete(artifact_id)
        await _ingest(registry, BERT_URL)
    assert hub.count(BERT_CODE) == 2
