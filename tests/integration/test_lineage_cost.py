"""Lineage and cost through GraphQL: real ingests for the fixture chain, and a deep chain
written straight to the store to count round trips."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pymongo import monitoring

from app.artifacts.repository import ArtifactRepository
from app.settings import Settings
from app.storage import mongo
from tests.support import queries
from tests.support.builders import artifact
from tests.support.registry import Registry, running_registry

LINEAGE = """
query Lineage($id: ID!, $direction: LineageDirection, $depth: Int) {
  lineage(id: $id, direction: $direction, depth: $depth) {
    root { id }
    nodes { name distance artifact { id } }
    edges { parent child relationship source }
  }
}
"""

COST = """
query Cost($id: ID!, $deps: Boolean) {
  cost(id: $id, withDependencies: $deps) {
    artifactId standaloneMb totalMb items { artifact { id name } standaloneMb reason }
  }
}
"""

FAMILY = """
query Family($id: ID!) {
  artifact(id: $id) { name parents { name artifactId } children { id name } }
}
"""


class CommandCounter(monitoring.CommandListener):
    """Counts MongoDB commands by name while active (registered once for the session)."""

    def __init__(self) -> None:
        self.active = False
        self.commands: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.active:  # e.g. "find:artifacts"
            self.commands.append(f"{event.command_name}:{event.command.get(event.command_name)}")

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


_COUNTER = CommandCounter()
monitoring.register(_COUNTER)


@pytest.fixture
def counter() -> Iterator[CommandCounter]:
    _COUNTER.commands.clear()
    yield _COUNTER
    _COUNTER.active = False


async def ingest(registry: Registry, repo_id: str) -> str:
    payload = (
        await registry.gql(queries.INGEST, url=f"https://huggingface.co/{repo_id}", type="MODEL")
    )["ingest"]
    events = await registry.subscribe(queries.PROGRESS, jobId=payload["job"]["id"])
    final = events[-1]["data"]["ingestProgress"]
    assert final["state"] == "DONE", final
    artifact_id: str = final["artifact"]["id"]
    return artifact_id


async def test_lineage_both_ways_even_when_parents_arrive_last(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        onnx = await ingest(registry, "onnx-community/trained-gender-ONNX")
        middle = await ingest(registry, "crangana/trained-gender")
        base = await ingest(registry, "microsoft/resnet-50")
        graph = (await registry.gql(LINEAGE, id=middle, direction="BOTH", depth=5))["lineage"]
        up_one = (await registry.gql(LINEAGE, id=onnx, direction="UP", depth=1))["lineage"]
        down = (await registry.gql(LINEAGE, id=base, direction="DOWN", depth=5))["lineage"]
        family = (await registry.gql(FAMILY, id=middle))["artifact"]
    nodes = {
        n["name"]: (n["distance"], n["artifact"]["id"] if n["artifact"] else None)
        for n in graph["nodes"]
    }
    assert nodes == {
        "microsoft/resnet-50": (-1, base),
        "crangana/trained-gender": (0, middle),
        "onnx-community/trained-gender-ONNX": (1, onnx),
    }
    edges = {(e["parent"], e["child"]) for e in graph["edges"]}
    assert edges == {
        ("microsoft/resnet-50", "crangana/trained-gender"),
        ("crangana/trained-gender", "onnx-community/trained-gender-ONNX"),
    }
    assert all(e["relationship"] == "base_model" for e in graph["edges"])
    assert [n["name"] for n in up_one["nodes"] if n["distance"] < 0] == ["crangana/trained-gender"]
    assert {n["name"] for n in down["nodes"]} == set(nodes)
    # The links stored on the children were completed when their parents arrived.
    assert {"name": "microsoft/resnet-50", "artifactId": base} in family["parents"]
    assert family["children"] == [{"id": onnx, "name": "trained-gender-ONNX"}]


async def _seed_chain(settings: Settings, length: int) -> list[str]:
    client = mongo.connect(settings.mongo_url or "")
    try:
        repo = ArtifactRepository(client[settings.mongo_database])
        await repo.ensure_indexes()
        ids = []
        for i in range(length):
            parents = [f"chain/m{i - 1}"] if i else []
            await repo.insert(
                artifact(
                    str(1000 + i),
                    f"chain/m{i}",
                    ingest_id=f"i{i}",
                    parents=parents,
                    size_bytes=(i + 1) * 1_000_000,
                )
            )
            ids.append(str(1000 + i))
        return ids
    finally:
        await client.close()


async def test_a_deep_traversal_costs_one_round_trip_per_level(
    settings: Settings, counter: CommandCounter
) -> None:
    ids = await _seed_chain(settings, 12)
    async with running_registry(settings, worker=False) as registry:
        counter.active = True
        up = (await registry.gql(LINEAGE, id=ids[11], direction="UP", depth=10))["lineage"]
        counter.active = False
        up_finds = counter.commands.count("find:artifacts")
        counter.commands.clear()
        counter.active = True
        down = (await registry.gql(LINEAGE, id=ids[0], direction="DOWN", depth=10))["lineage"]
        counter.active = False
        down_finds = counter.commands.count("find:artifacts")
    assert len(up["nodes"]) == 11  # the root and 10 levels of ancestors
    assert min(n["distance"] for n in up["nodes"]) == -10
    assert len(down["nodes"]) == 11
    # the root, then one query per level: never one per node
    assert up_finds <= 1 + 10
    assert down_finds <= 1 + 10


async def test_cycles_in_bad_metadata_terminate(settings: Settings) -> None:
    client = mongo.connect(settings.mongo_url or "")
    try:
        repo = ArtifactRepository(client[settings.mongo_database])
        await repo.ensure_indexes()
        await repo.insert(artifact("1", "loop/a", ingest_id="a", parents=["loop/b"]))
        await repo.insert(artifact("2", "loop/b", ingest_id="b", parents=["loop/a"]))
    finally:
        await client.close()
    async with running_registry(settings, worker=False) as registry:
        graph = (await registry.gql(LINEAGE, id="1", direction="BOTH", depth=50))["lineage"]
    assert {n["name"] for n in graph["nodes"]} == {"loop/a", "loop/b"}


async def test_cost_counts_each_dependency_once(settings: Settings) -> None:
    ids = await _seed_chain(settings, 3)
    async with running_registry(settings, worker=False) as registry:
        alone = (await registry.gql(COST, id=ids[2], deps=False))["cost"]
        total = (await registry.gql(COST, id=ids[2], deps=True))["cost"]
        bad = await registry.execute(LINEAGE, id=ids[2], depth=0)
    assert alone["standaloneMb"] == 3.0
    assert alone["totalMb"] == 3.0
    assert [i["artifact"]["id"] for i in total["items"]] == [ids[2], ids[1], ids[0]]
    assert total["totalMb"] == 6.0
    assert [i["reason"] for i in total["items"]] == ["self", "ancestor", "ancestor"]
    assert bad["errors"][0]["message"] == "depth must be between 1 and 50"


async def test_cost_includes_linked_datasets(settings: Settings) -> None:
    async with running_registry(settings) as registry:
        payload = (
            await registry.gql(
                queries.INGEST,
                url="https://huggingface.co/datasets/bookcorpus/bookcorpus",
                type="DATASET",
            )
        )["ingest"]
        dataset = (await registry.subscribe(queries.PROGRESS, jobId=payload["job"]["id"]))[-1]
        dataset_id = dataset["data"]["ingestProgress"]["artifact"]["id"]
        bert = await ingest(registry, "google-bert/bert-base-uncased")
        cost: dict[str, Any] = (await registry.gql(COST, id=bert, deps=True))["cost"]
    reasons = {i["artifact"]["id"]: i["reason"] for i in cost["items"]}
    assert reasons == {bert: "self", dataset_id: "dataset"}
    assert cost["totalMb"] == round(sum(i["standaloneMb"] for i in cost["items"]), 3)


PAGE = """
query Page {
  artifacts(first: 50) {
    edges { node {
      id name rating { netScore }
      parents { name artifact { id name } }
      children { id }
    } }
  }
}
"""


async def test_a_page_of_50_with_parents_costs_a_fixed_number_of_queries(
    settings: Settings, counter: CommandCounter
) -> None:
    ids = await _seed_chain(settings, 60)
    async with running_registry(settings, worker=False) as registry:
        await registry.gql(PAGE)  # the first search also warms the search index
        counter.commands.clear()
        counter.active = True
        page = (await registry.gql(PAGE))["artifacts"]["edges"]
        counter.active = False
    assert len(page) == 50
    by_id = {e["node"]["id"]: e["node"] for e in page}
    assert by_id[ids[1]]["parents"] == [
        {"name": "chain/m0", "artifact": {"id": ids[0], "name": "m0"}}
    ]
    assert by_id[ids[1]]["children"] == [{"id": ids[2]}]
    # the page itself, one batch for all parents, one for all children: not one per node
    assert counter.commands.count("find:artifacts") <= 3, counter.commands
