"""Ratings that stay current (app/rescoring): a rescore asks upstream conditionally and rates
again only what changed, keeping every rating in the history; an unchanged model costs one
request per source (GitHub's answered 304, free of its rate limit); a model that now fails
the policy is marked, not deleted; a parent re-rated moves its children's tree scores; a new
scorer version rates again; every new rating is pushed on ``ratingChanged``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from app.settings import Settings
from tests.fakehub import FakeHub
from tests.integration.test_gate_modes import gated, graphql_ingest
from tests.support.registry import Registry, running_registry

WHISPER = "openai/whisper-tiny"  # links github.com/openai/whisper and two datasets
PARENT = "microsoft/resnet-50"
CHILD = "crangana/trained-gender"  # fine-tuned from resnet-50
FIXTURES = Path(__file__).parents[1] / "fakehub" / "fixtures" / "hf" / "models"

RESCORE = """
mutation Rescore($id: ID!, $force: Boolean! = false) {
  rescoreArtifact(id: $id, force: $force) {
    rescored reason changed
    artifact { id gatePassed }
    error { __typename ... on Error { code message } }
  }
}
"""
RESCORE_ALL = "mutation { rescoreAll { checked rescored failed requests notModified } }"
HISTORY = """
query History($id: ID!) {
  artifact(id: $id) {
    gatePassed
    rating { netScore scorerVersion metrics { name score } }
    ratingHistory {
      reason note netScore treeScore gatePassed scorerVersion
      revisions { source revision } moved { metric before after }
    }
  }
}
"""
RATING_CHANGED = """
subscription Changes($id: ID) { ratingChanged(artifactId: $id) { artifactId reason netScore
  moved { metric } } }
"""
FAILING = "{ artifacts(filter: {gatePassed: false}, first: 10) { edges { node { id } } } }"


async def ingest(registry: Registry, repo_id: str) -> str:
    final = await graphql_ingest(registry, f"https://huggingface.co/{repo_id}")
    assert final["state"] == "DONE", final
    artifact_id: str = final["artifact"]["id"]
    return artifact_id


async def history(registry: Registry, artifact_id: str) -> dict[str, Any]:
    artifact: dict[str, Any] = (await registry.gql(HISTORY, id=artifact_id))["artifact"]
    return artifact


def card(repo_id: str) -> bytes:
    return (FIXTURES / repo_id / "files" / "README.md").read_bytes()


async def test_an_unchanged_model_costs_one_conditional_request_per_source(
    settings: Settings, hub: FakeHub
) -> None:
    async with running_registry(settings) as registry:
        whisper = await ingest(registry, WHISPER)
        hub.clear_requests()
        first = (await registry.gql(RESCORE_ALL))["rescoreAll"]
        asked = [(r.path, r.headers.get("if-none-match")) for r in hub.requests]
        second = (await registry.gql(RESCORE_ALL))["rescoreAll"]
        kept = await history(registry, whisper)
    sources = 3  # the model, its code repository, the one of its datasets the hub has
    # the ingest learned each source's validator: from the first rescore on, every source is
    # asked conditionally, and GitHub answers 304
    unchanged = {"checked": 1, "rescored": 0, "failed": 0, "requests": sources, "notModified": 1}
    assert first == unchanged
    assert second == unchanged
    assert len(asked) == sources
    assert all(tag for _, tag in asked)  # every one asked conditionally
    assert "/repos/openai/whisper/commits" in {path for path, _ in asked}
    assert [r["reason"] for r in kept["ratingHistory"]] == ["INGEST"]


async def test_a_changed_card_and_repository_are_rated_again_with_history(
    settings: Settings, hub: FakeHub
) -> None:
    async with running_registry(settings) as registry:
        whisper = await ingest(registry, WHISPER)
        before = await history(registry, whisper)
        watcher = asyncio.create_task(registry.subscribe(RATING_CHANGED, id=whisper, limit=1))
        await asyncio.sleep(0.3)  # let the subscription reach Redis
        # the card loses its usage and evaluation sections; the code repository gets a commit
        short = (
            b"---\nlicense: apache-2.0\n---\n# Whisper tiny\n\nA speech recognition model. "
            b"Code: https://github.com/openai/whisper\n"
        )
        model_sha = hub.commit_model(WHISPER, {"README.md": short}, "Shorten the card")
        code_sha = hub.push_commit("openai/whisper", "Fix a typo")
        payload = (await registry.gql(RESCORE, id=whisper))["rescoreArtifact"]
        pushed = [e["data"]["ratingChanged"] for e in await watcher]
        after = await history(registry, whisper)
    assert payload["error"] is None, payload
    assert payload["rescored"] is True
    assert payload["reason"] == "UPSTREAM_CHANGED"
    assert sorted(payload["changed"]) == ["code:openai/whisper", f"model:{WHISPER}"]
    ingested, rescored = after["ratingHistory"]
    assert ingested == before["ratingHistory"][0]  # the first rating is kept as it was
    assert rescored["reason"] == "UPSTREAM_CHANGED"
    revisions = {r["source"]: r["revision"] for r in rescored["revisions"]}
    assert revisions["model"] == model_sha
    assert revisions["code:openai/whisper"] == code_sha
    assert rescored["netScore"] == after["rating"]["netScore"] != ingested["netScore"]
    assert "ramp_up_time" in {m["metric"] for m in rescored["moved"]}
    assert pushed == [
        {
            "artifactId": whisper,
            "reason": "UPSTREAM_CHANGED",
            "netScore": rescored["netScore"],
            "moved": [{"metric": m["metric"]} for m in rescored["moved"]],
        }
    ]


async def test_nothing_changed_leaves_the_rating_unless_forced(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        whisper = await ingest(registry, WHISPER)
        untouched = (await registry.gql(RESCORE, id=whisper))["rescoreArtifact"]
        forced = (await registry.gql(RESCORE, id=whisper, force=True))["rescoreArtifact"]
        kept = await history(registry, whisper)
        dataset = await registry.client.post(
            "/artifact/dataset",
            json={"url": "https://huggingface.co/datasets/bookcorpus/bookcorpus"},
        )
        refused = await registry.gql(RESCORE, id=dataset.json()["metadata"]["id"])
        missing = (await registry.gql(RESCORE, id="999999"))["rescoreArtifact"]
    assert (untouched["rescored"], untouched["reason"], untouched["changed"]) == (False, None, [])
    assert (forced["rescored"], forced["reason"]) == (True, "ON_REQUEST")
    assert [r["reason"] for r in kept["ratingHistory"]] == ["INGEST", "ON_REQUEST"]
    assert refused["rescoreArtifact"]["error"]["code"] == "validation"
    assert missing["error"]["__typename"] == "NotFoundError"


async def test_a_model_that_now_fails_the_policy_is_marked_not_deleted(
    settings: Settings, hub: FakeHub
) -> None:
    async with running_registry(gated(settings)) as registry:
        whisper = await ingest(registry, WHISPER)
        relicensed = card(WHISPER).replace(b"license: apache-2.0", b"license: agpl-3.0")
        hub.commit_model(
            WHISPER,
            {"README.md": relicensed},
            "Relicense",
            card_data={"license": "agpl-3.0", "pipeline_tag": "automatic-speech-recognition"},
        )
        payload = (await registry.gql(RESCORE, id=whisper))["rescoreArtifact"]
        failing = (await registry.gql(FAILING))["artifacts"]["edges"]
        after = await history(registry, whisper)
    assert payload["rescored"] is True, payload
    assert payload["artifact"]["gatePassed"] is False
    assert [e["node"]["id"] for e in failing] == [whisper]  # still there, marked
    assert [r["gatePassed"] for r in after["ratingHistory"]] == [True, False]
    assert {"metric": "license", "before": 1.0, "after": 0.0} in after["ratingHistory"][1]["moved"]


async def test_a_parent_rated_again_moves_its_childrens_tree_score(
    settings: Settings, hub: FakeHub
) -> None:
    async with running_registry(settings) as registry:
        parent = await ingest(registry, PARENT)
        child = await ingest(registry, CHILD)
        short = b"---\nlicense: apache-2.0\n---\n# ResNet-50\n"
        hub.commit_model(PARENT, {"README.md": short}, "Shorten the card")
        await registry.gql(RESCORE, id=parent)
        rated = await history(registry, parent)
        followed = await history(registry, child)
    last = followed["ratingHistory"][-1]
    assert last["reason"] == "PARENT_RERATED"
    assert last["treeScore"] == round(rated["rating"]["netScore"], 4)
    assert last["note"].startswith(f"parent {PARENT}")


async def test_a_rating_by_another_scorer_version_is_made_again(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        whisper = await ingest(registry, WHISPER)
        documents = registry.services.artifacts._repo._collection  # an older scorer's rating
        await documents.update_one(
            {"_id": whisper}, {"$set": {"rating.scorer_version": "tmr-scorer/1.0"}}
        )
        registry.services.artifacts._repo.clear()
        report = await registry.services.rescoring.rescore_all(outdated_only=True)
        after = await history(registry, whisper)
        again = await registry.services.rescoring.rescore_all(outdated_only=True)
    assert (report.checked, report.rescored, report.requests) == (1, 1, 0)
    last = after["ratingHistory"][-1]
    assert last["reason"] == "SCORER_UPGRADED"
    assert last["note"].startswith("rated by tmr-scorer/1.0")
    assert after["rating"]["scorerVersion"] != "tmr-scorer/1.0"
    assert again.rescored == 0


async def test_the_workers_pass_rates_a_changed_model_on_its_own(
    settings: Settings, hub: FakeHub
) -> None:
    scheduled = settings.model_copy(update={"rescore_interval": 1.0})
    async with running_registry(scheduled) as registry:
        whisper = await ingest(registry, WHISPER)
        watcher = asyncio.create_task(registry.subscribe(RATING_CHANGED, id=whisper, limit=1))
        await asyncio.sleep(0.3)  # let the subscription reach Redis
        short = b"---\nlicense: apache-2.0\n---\n# Whisper tiny\n"
        hub.commit_model(WHISPER, {"README.md": short}, "Shorten the card")
        async with asyncio.timeout(30):
            [pushed] = [e["data"]["ratingChanged"] for e in await watcher]
    assert (pushed["artifactId"], pushed["reason"]) == (whisper, "UPSTREAM_CHANGED")
