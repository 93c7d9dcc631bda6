"""One artifact per upstream repository (DESIGN §5, identity): legacy, miscased and bare ids of
a registered model are conflicts naming it, concurrent aliases make one artifact; datasets and
code on other hosts register as references without a request, gated datasets from their
public metadata."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from typing import Any

import httpx

from app.settings import Settings
from tests.fakehub import FakeHub
from tests.support import queries
from tests.support.registry import Registry, running_registry

BERT = "https://huggingface.co/google-bert/bert-base-uncased"
ALIASES = [
    "https://huggingface.co/bert-base-uncased",  # the legacy id: the hub redirects it
    "bert-base-uncased",  # a bare legacy id
    "google-bert/bert-base-uncased",  # a bare canonical id
    "https://huggingface.co/Google-Bert/BERT-Base-Uncased",  # miscased
    "https://huggingface.co/BERT-base-uncased/tree/main",  # legacy and miscased, a branch view
]
KAGGLE = "https://www.kaggle.com/datasets/hliang001/flickr2k"
IMAGENET = "https://huggingface.co/datasets/ILSVRC/imagenet-1k"

ARTIFACT = """
query Artifact($id: ID!) {
  artifact(id: $id) {
    id name type sourceUrl sourceKey license sizeBytes readme metadataFetched revision
  }
}
"""


async def create(client: httpx.AsyncClient, url: str, kind: str = "model") -> httpx.Response:
    return await client.post(f"/artifact/{kind}", json={"url": url})


async def count(registry: Registry) -> int:
    return await registry.services.artifacts._repo.count()


async def test_every_alias_of_a_registered_model_is_a_conflict_naming_it(
    settings: Settings,
) -> None:
    async with running_registry(settings) as registry:
        first = await create(registry.client, BERT)
        assert first.status_code == 201, first.text
        bert_id = first.json()["metadata"]["id"]
        answers = [await create(registry.client, alias) for alias in ALIASES]
        stored = await count(registry)
    assert [a.status_code for a in answers] == [409] * len(ALIASES), [a.text for a in answers]
    for answer in answers:
        assert f"artifact {bert_id}" in answer.json()["detail"]
    assert stored == 1


async def test_a_model_registered_by_its_legacy_id_is_stored_under_the_canonical_one(
    settings: Settings,
) -> None:
    async with running_registry(settings) as registry:
        first = await create(registry.client, "bert-base-uncased")
        assert first.status_code == 201, first.text
        bert_id = first.json()["metadata"]["id"]
        artifact = (await registry.gql(ARTIFACT, id=bert_id))["artifact"]
        again = await create(registry.client, BERT)
        # GraphQL: the alias it was registered by is known, so refused at once, typed
        legacy = (await registry.gql(queries.INGEST, url=ALIASES[0], type="MODEL"))["ingest"]
    assert first.json()["metadata"]["name"] == "bert-base-uncased"
    assert first.json()["data"]["url"] == "bert-base-uncased"  # echoed as sent
    assert artifact["sourceKey"] == "hf:model:google-bert/bert-base-uncased"
    assert artifact["sourceUrl"] == "bert-base-uncased"
    assert again.status_code == 409
    assert f"artifact {bert_id}" in again.json()["detail"]
    assert legacy["job"] is None
    assert legacy["error"]["__typename"] == "ConflictError"
    assert legacy["error"]["existingId"] == bert_id


async def test_a_dataset_by_its_legacy_id_ends_with_its_job_under_the_canonical_id(
    settings: Settings,
) -> None:
    # A dataset has no gate: its id is drawn just before it is stored, after its identity
    # was settled; the job keeps the settled source through that.
    async with running_registry(settings) as registry:
        created = await create(registry.client, "https://huggingface.co/datasets/imdb", "dataset")
        assert created.status_code == 201, created.text
        artifact_id = created.json()["metadata"]["id"]
        artifact = (await registry.gql(ARTIFACT, id=artifact_id))["artifact"]
        job = await registry.services.ingest.get(
            (await registry.services.artifacts.get(artifact_id)).ingest_id
        )
    assert artifact["sourceKey"] == "hf:dataset:stanfordnlp/imdb"
    assert job.artifact_id == artifact_id
    assert job.source is not None
    assert job.source.key == "hf:dataset:stanfordnlp/imdb"


async def test_a_new_alias_over_graphql_ends_as_a_conflict_then_is_refused_at_once(
    settings: Settings,
) -> None:
    """An alias seen for the first time is known to be one only from the hub's answer, in
    the worker: its job ends FAILED(conflict) naming the artifact. Then it is known."""
    async with running_registry(settings) as registry:
        bert_id = (await create(registry.client, BERT)).json()["metadata"]["id"]
        payload = (await registry.gql(queries.INGEST, url=ALIASES[1], type="MODEL"))["ingest"]
        events = await registry.subscribe(
            "subscription($id: ID!) { ingestProgress(jobId: $id) "
            "{ state sourceKey error { code message existingId } } }",
            id=payload["job"]["id"],
        )
        again = (await registry.gql(queries.INGEST, url=ALIASES[1], type="MODEL"))["ingest"]
    final = events[-1]["data"]["ingestProgress"]
    assert final["state"] == "FAILED"
    assert final["error"]["code"] == "conflict"
    assert final["error"]["existingId"] == bert_id
    assert final["sourceKey"] == "hf:model:google-bert/bert-base-uncased"
    assert again["error"]["__typename"] == "ConflictError"
    assert again["error"]["existingId"] == bert_id


async def test_concurrent_aliases_of_one_repository_make_one_artifact(
    settings: Settings, hub: FakeHub
) -> None:
    hub.latency = 0.05  # every ingest is in flight while the others start
    async with running_registry(settings) as registry:
        answers = await asyncio.gather(
            *(create(registry.client, url) for url in [BERT, *ALIASES, BERT, ALIASES[0]])
        )
        stored = await count(registry)
    assert stored == 1
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {201, 409}, [a.text for a in answers]
    ids = {a.json()["metadata"]["id"] for a in answers if a.status_code == 201}
    assert len(ids) == 1, ids  # an ingest in flight is joined, not repeated
    [bert_id] = ids
    assert all(f"artifact {bert_id}" in a.json()["detail"] for a in answers if a.status_code == 409)


async def test_a_dataset_elsewhere_registers_as_a_reference_without_a_request(
    settings: Settings, hub: FakeHub
) -> None:
    async with running_registry(settings) as registry:
        hub.clear_requests()
        dataset = await registry.client.post(
            "/artifact/dataset", json={"url": KAGGLE, "name": "hliang001-flickr2k"}
        )
        code = await create(registry.client, "https://gitlab.com/group/project", "code")
        model = await create(registry.client, "https://www.kaggle.com/models/google/bert")
        again = await create(registry.client, KAGGLE + "/", "dataset")
        requests = list(hub.requests)
        assert dataset.status_code == 201, dataset.text
        dataset_id = dataset.json()["metadata"]["id"]
        artifact = (await registry.gql(ARTIFACT, id=dataset_id))["artifact"]
        bundle = await registry.client.get(dataset.json()["data"]["download_url"])
    assert requests == []  # neither Kaggle (unreachable from here anyway) nor the hubs
    assert dataset.json()["metadata"] == {
        "name": "hliang001-flickr2k",
        "id": dataset_id,
        "type": "dataset",
    }
    assert code.status_code == 201, code.text
    assert model.status_code == 400  # models come from Hugging Face only
    assert again.status_code == 409  # the same page, normalized
    assert artifact["metadataFetched"] is False
    assert artifact["sourceKey"] == f"url:dataset:{KAGGLE}"
    assert (artifact["license"], artifact["sizeBytes"], artifact["revision"]) == (None, 0, None)
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as archive:
        assert archive.namelist() == ["registry.json"]
        record: dict[str, Any] = json.loads(archive.read("registry.json"))
    assert record["metadata_fetched"] is False
    assert record["source"] == KAGGLE
    assert "no request" in record["note"]


async def test_a_gated_dataset_registers_from_its_public_metadata(
    settings: Settings, hub: FakeHub
) -> None:
    async with running_registry(settings) as registry:
        answer = await registry.client.post(
            "/artifact/dataset", json={"url": IMAGENET, "name": "imagenet-1k"}
        )
        assert answer.status_code == 201, answer.text
        artifact_id = answer.json()["metadata"]["id"]
        artifact = (await registry.gql(ARTIFACT, id=artifact_id))["artifact"]
        bundle = await registry.client.get(answer.json()["data"]["download_url"])
    assert artifact["metadataFetched"] is True
    assert artifact["sourceKey"] == "hf:dataset:ILSVRC/imagenet-1k"
    assert artifact["license"] == "other"
    assert artifact["revision"]
    assert artifact["readme"] == ""  # the card is gated
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as archive:
        record = json.loads(archive.read("registry.json"))
        assert "metadata.json" in archive.namelist()
    assert record["files_fetched"] is False
    assert record["files_missing_because"] == "gated: set TMR_HF_TOKEN"
    readme = "/datasets/ILSVRC/imagenet-1k/resolve/"
    assert any(r.path.startswith(readme) for r in hub.requests)  # tried, refused, not needed
