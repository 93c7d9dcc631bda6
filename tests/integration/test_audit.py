"""The audit log through GraphQL: every recording point, the cursor walk, and entries that
never change once written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from app.auth.entities import DEFAULT_ADMIN
from app.clock import utcnow
from app.ingest.entities import IngestState
from app.settings import Settings
from app.storage import mongo
from tests.support import queries
from tests.support.registry import Registry, registry_in_task, running_registry

BERT = "https://huggingface.co/google-bert/bert-base-uncased"
IMDB = "https://huggingface.co/datasets/stanfordnlp/imdb"

AUDIT_LOG = """
query Audit($artifactId: ID, $first: Int, $after: String) {
  auditLog(artifactId: $artifactId, first: $first, after: $after) {
    edges { cursor node { action user date artifact { id name type } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

DOWNLOAD_URL = "query Download($id: ID!) { artifact(id: $id) { downloadUrl } }"


@pytest.fixture
async def registry(settings: Settings) -> AsyncIterator[Registry]:
    async with registry_in_task(settings) as running:
        yield running


async def ingest(registry: Registry, url: str, kind: str = "MODEL") -> dict[str, Any]:
    """The final ingestProgress event of an ingest."""
    payload = (await registry.gql(queries.INGEST, url=url, type=kind))["ingest"]
    assert payload["error"] is None, payload
    events = await registry.subscribe(queries.PROGRESS, jobId=payload["job"]["id"])
    final: dict[str, Any] = events[-1]["data"]["ingestProgress"]
    return final


async def log_page(
    registry: Registry, artifact_id: str | None, first: int | None = None, after: str | None = None
) -> dict[str, Any]:
    data = await registry.gql(AUDIT_LOG, artifactId=artifact_id, first=first, after=after)
    page: dict[str, Any] = data["auditLog"]
    return page


async def whole_log(
    registry: Registry, artifact_id: str | None, first: int = 3
) -> list[dict[str, Any]]:
    """Every edge, walked page by page."""
    edges: list[dict[str, Any]] = []
    after = None
    while True:
        page = await log_page(registry, artifact_id, first, after)
        edges += page["edges"]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            return edges
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]


def actions(edges: list[dict[str, Any]]) -> list[str]:
    return [e["node"]["action"] for e in edges]


async def test_an_ingest_records_create_with_user_and_date(registry: Registry) -> None:
    before = utcnow()
    artifact_id = (await ingest(registry, BERT))["artifact"]["id"]
    page = await log_page(registry, artifact_id)
    # a model is rated as it is ingested: RATE follows CREATE (newest first)
    assert actions(page["edges"]) == ["RATE", "CREATE"]
    node = page["edges"][1]["node"]
    assert node["user"] == DEFAULT_ADMIN
    assert node["artifact"] == {"id": artifact_id, "name": "bert-base-uncased", "type": "MODEL"}
    date = datetime.fromisoformat(node["date"])
    assert date.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= date <= utcnow()
    # Reading an artifact's log is audited too, after the read it answered.
    assert actions((await log_page(registry, artifact_id))["edges"]) == ["AUDIT", "RATE", "CREATE"]


async def test_download_and_delete_are_recorded_and_outlive_the_artifact(
    registry: Registry,
) -> None:
    artifact_id = (await ingest(registry, IMDB, "DATASET"))["artifact"]["id"]
    await registry.gql(DOWNLOAD_URL, id=artifact_id)
    deleted = (await registry.gql(queries.DELETE, id=artifact_id))["deleteArtifact"]
    assert deleted["deletedId"] == artifact_id
    edges = (await log_page(registry, artifact_id))["edges"]
    assert actions(edges) == ["DELETE", "DOWNLOAD", "CREATE"]
    assert {e["node"]["user"] for e in edges} == {DEFAULT_ADMIN}
    assert {e["node"]["artifact"]["name"] for e in edges} == {"imdb"}
    # The artifact is gone; its log is still read, and that read is still recorded.
    assert actions((await log_page(registry, artifact_id))["edges"])[0] == "AUDIT"


async def test_a_gate_rejection_records_reject_naming_the_refused_job(
    settings: Settings,
) -> None:
    gated = settings.model_copy(update={"gate_enabled": True})
    async with running_registry(gated) as registry:
        final = await ingest(registry, "https://huggingface.co/parvk11/audience_classifier_model")
        assert final["error"]["code"] == "gate_rejected"
        assert (await registry.services.ingest.get(final["id"])).artifact_id is None
        edges = (await log_page(registry, None))["edges"]
    assert actions(edges) == ["REJECT"]
    node = edges[0]["node"]
    assert node["artifact"] == {
        "id": final["id"],
        "name": "audience_classifier_model",
        "type": "MODEL",
    }
    assert node["user"] == DEFAULT_ADMIN


async def test_refused_ingests_leave_no_gap_in_the_artifact_ids(settings: Settings) -> None:
    gated = settings.model_copy(update={"gate_enabled": True})
    async with running_registry(gated) as registry:
        first = await ingest(registry, BERT)
        refused = await ingest(registry, "https://huggingface.co/parvk11/audience_classifier_model")
        missing = await registry.gql(
            queries.INGEST, url="https://huggingface.co/acme/no-such-model", type="MODEL"
        )
        failed = await registry.subscribe(queries.PROGRESS, jobId=missing["ingest"]["job"]["id"])
        second = await ingest(registry, IMDB, "DATASET")
    assert refused["error"]["code"] == "gate_rejected"
    assert failed[-1]["data"]["ingestProgress"]["state"] == "FAILED"
    assert int(second["artifact"]["id"]) == int(first["artifact"]["id"]) + 1


async def test_pages_walk_every_entry_once_and_entries_never_change(
    registry: Registry,
) -> None:
    first_id = (await ingest(registry, IMDB, "DATASET"))["artifact"]["id"]
    second_id = (await ingest(registry, "https://github.com/openai/whisper", "CODE"))["artifact"][
        "id"
    ]
    for _ in range(6):
        await registry.gql(DOWNLOAD_URL, id=first_id)

    walked = await whole_log(registry, first_id)
    assert actions(walked) == ["DOWNLOAD"] * 6 + ["CREATE"]
    assert len({e["cursor"] for e in walked}) == 7
    # Each page read was audited, but after the walk had passed: none of it shifted a page.
    assert actions((await log_page(registry, first_id, first=3))["edges"]) == ["AUDIT"] * 3

    everyone = await whole_log(registry, None, first=4)
    assert {e["node"]["artifact"]["id"] for e in everyone} == {first_id, second_id}
    dates = [e["node"]["date"] for e in everyone]
    assert dates == sorted(dates, reverse=True)

    await registry.gql(queries.DELETE, id=first_id)
    again = await whole_log(registry, None, first=5)
    assert again[0]["node"]["action"] == "DELETE"
    assert again[-len(everyone) :] == everyone  # appended to, never rewritten


async def test_a_retried_ingest_records_one_create(settings: Settings) -> None:
    async with running_registry(settings, worker=False) as registry:
        job_id = (await registry.gql(queries.INGEST, url=IMDB, type="DATASET"))["ingest"]["job"][
            "id"
        ]
        await registry.services.ingest.run(job_id)
        # The worker died after storing but before DONE was written: the job runs again.
        client = mongo.connect(settings.mongo_url or "")
        try:
            jobs = client[settings.mongo_database]["ingest_jobs"]
            await jobs.update_one({"_id": job_id}, {"$set": {"state": "STORING"}})
        finally:
            await client.close()
        await registry.services.ingest.run(job_id, attempt=2)
        assert (await registry.services.ingest.get(job_id)).state is IngestState.DONE
        edges = (await log_page(registry, None))["edges"]
    assert actions(edges) == ["CREATE"]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"first": 0}, "first must be 1-100"),
        ({"first": 101}, "first must be 1-100"),
        ({"after": "not-a-cursor"}, "after is not a cursor of this log"),
    ],
)
async def test_bad_paging_arguments_are_refused(
    registry: Registry, variables: dict[str, Any], message: str
) -> None:
    body = await registry.execute(AUDIT_LOG, artifactId="1", **variables)
    assert body["data"] is None
    assert body["errors"][0]["message"] == message


async def test_an_unknown_artifact_has_an_empty_log_and_records_nothing(
    registry: Registry,
) -> None:
    page = await log_page(registry, "999")
    assert page["edges"] == []
    assert page["pageInfo"]["hasNextPage"] is False
    assert (await log_page(registry, None))["edges"] == []
