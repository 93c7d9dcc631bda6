"""licenseCheck through GraphQL against the fake GitHub: verdicts, and typed failures that
are never mistaken for a verdict."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.settings import Settings
from tests.fakehub import FakeHub
from tests.support import queries
from tests.support.registry import Registry, registry_in_task

WHISPER_TINY = "https://huggingface.co/openai/whisper-tiny"  # apache-2.0

CHECK = """
query Check($id: ID!, $url: String!) {
  licenseCheck(id: $id, githubUrl: $url) {
    __typename
    ... on LicenseVerdict {
      verdict modelLicense repoLicense reason githubRepo policyVersion
    }
    ... on Error { code message }
    ... on ValidationError { field }
  }
}
"""


@pytest.fixture
async def registry(settings: Settings) -> AsyncIterator[Registry]:
    async with registry_in_task(settings) as running:
        yield running


async def ingest(registry: Registry, url: str, kind: str = "MODEL") -> str:
    payload = (await registry.gql(queries.INGEST, url=url, type=kind))["ingest"]
    assert payload["error"] is None, payload
    events = await registry.subscribe(queries.PROGRESS, jobId=payload["job"]["id"])
    final = events[-1]["data"]["ingestProgress"]
    assert final["state"] == "DONE", final
    artifact_id: str = final["artifact"]["id"]
    return artifact_id


@pytest.fixture
async def model_id(registry: Registry) -> str:
    return await ingest(registry, WHISPER_TINY)


async def check(registry: Registry, artifact_id: str, url: str) -> dict[str, Any]:
    result: dict[str, Any] = (await registry.gql(CHECK, id=artifact_id, url=url))["licenseCheck"]
    return result


async def test_a_permissive_repo_is_compatible(registry: Registry, model_id: str) -> None:
    result = await check(registry, model_id, "https://github.com/openai/whisper/tree/main")
    assert result == {
        "__typename": "LicenseVerdict",
        "verdict": "COMPATIBLE",
        "modelLicense": "Apache-2.0",
        "repoLicense": "MIT",
        "reason": "Apache-2.0 and MIT both allow fine-tuning",
        "githubRepo": "openai/whisper",
        "policyVersion": result["policyVersion"],
    }
    assert result["policyVersion"]


async def test_a_repo_without_a_licence_is_an_explained_verdict(
    registry: Registry, model_id: str
) -> None:
    result = await check(registry, model_id, "https://github.com/someuser/nolicense-scripts")
    assert result["__typename"] == "LicenseVerdict"
    assert result["verdict"] == "INCOMPATIBLE"
    assert result["repoLicense"] == "none declared in the repository"
    assert "no licence grants no right to use" in result["reason"]


@pytest.mark.parametrize(
    "url",
    [
        "https://gitlab.com/openai/whisper",
        "https://huggingface.co/openai/whisper-tiny",
        "http://127.0.0.1:9/repos/openai/whisper",
        "https://github.com/openai",
        "not a url",
    ],
)
async def test_a_url_that_is_not_a_github_repo_is_refused_unfetched(
    registry: Registry, model_id: str, hub: FakeHub, url: str
) -> None:
    hub.clear_requests()
    result = await check(registry, model_id, url)
    assert result["__typename"] == "ValidationError"
    assert result["field"] == "githubUrl"
    assert hub.requests == []


async def test_an_unknown_repo_is_not_found(registry: Registry, model_id: str) -> None:
    result = await check(registry, model_id, "https://github.com/acme/does-not-exist")
    assert result["__typename"] == "NotFoundError"
    assert result["code"] == "upstream_not_found"
    assert "acme/does-not-exist" in result["message"]


async def test_an_unknown_artifact_is_not_found(registry: Registry) -> None:
    result = await check(registry, "12345", "https://github.com/openai/whisper")
    assert result["__typename"] == "NotFoundError"
    assert result["code"] == "not_found"


async def test_a_dataset_is_not_licence_checked(registry: Registry) -> None:
    dataset_id = await ingest(
        registry, "https://huggingface.co/datasets/stanfordnlp/imdb", "DATASET"
    )
    result = await check(registry, dataset_id, "https://github.com/openai/whisper")
    assert result["__typename"] == "ValidationError"
    assert result["field"] == "id"


async def test_github_failing_is_unavailable_not_a_verdict(
    registry: Registry, model_id: str, hub: FakeHub
) -> None:
    path = "/repos/openai/whisper/license"
    hub.inject_fault(path, status=503, times=10)
    result = await check(registry, model_id, "https://github.com/openai/whisper")
    assert result["__typename"] == "UnavailableError"
    assert result["code"] == "upstream_unavailable"
    assert hub.count(path) == registry.settings.upstream_max_attempts  # bounded retries
    hub.clear_faults()
    assert (await check(registry, model_id, "https://github.com/openai/whisper"))[
        "verdict"
    ] == "COMPATIBLE"


async def test_a_rate_limited_github_is_unavailable(
    registry: Registry, model_id: str, hub: FakeHub
) -> None:
    # Asked to wait longer than the registry is willing to: answered at once, not waited out.
    hub.inject_fault("/repos/openai/whisper", status=403, times=10, retry_after=3600)
    result = await check(registry, model_id, "https://github.com/openai/whisper")
    assert result["__typename"] == "UnavailableError"
    assert result["code"] == "upstream_rate_limited"
