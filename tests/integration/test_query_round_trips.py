"""What the store receives for the batched reads: lookups by a parent's name, a source key or
an alias reach it by ``_id`` only (the one key nx-27017 serves ``$in`` from; any other field's
``$in`` reads every artifact), and lineage costs a fixed number of round trips per level,
however many models each level holds. Counted with pymongo command monitoring on the clients
the test builds, including the app's own."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from app.artifacts import repository
from app.artifacts.repository import ArtifactRepository, to_document
from app.rating.links import ParentLink
from app.settings import Settings
from app.storage import mongo
from tests.support.builders import artifact
from tests.support.registry import new_data_version, running_registry

LINEAGE = """
query Lineage($id: ID!, $direction: LineageDirection, $depth: Int) {
  lineage(id: $id, direction: $direction, depth: $depth) {
    nodes { name distance artifact { id } }
    edges { parent child }
  }
}
"""

PAGE = """
query Page {
  artifacts(first: 50) {
    edges { node { id parents { name artifact { id } } children { id } } }
  }
}
"""

FAMILY = """
query Family($id: ID!) {
  artifact(id: $id) { parents { name artifact { id } } children { id } }
}
"""

COLLECTIONS = {"artifacts", "artifact_keys"}
DEPTH = 20
CHAIN = 25  # models in a line, each naming the one before as its parent
WIDTH = 4  # models per level of the lattice: each names every model of the level before
# a level up or down is one lookup of two round trips (the keys, then the artifacts)
BOUND = 1 + 2 * DEPTH


@dataclass
class Command:
    name: str
    collection: str
    filter: dict[str, Any]


@dataclass
class Counter(monitoring.CommandListener):
    """The commands on the artifacts and their keys in one database, while active."""

    database: str
    active: bool = False
    commands: list[Command] = field(default_factory=list)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        collection = event.command.get(event.command_name)
        if self.active and event.database_name == self.database and collection in COLLECTIONS:
            found = event.command.get("filter") or {}
            self.commands.append(Command(event.command_name, str(collection), dict(found)))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def count(self, name: str, collection: str) -> int:
        return sum(1 for c in self.commands if (c.name, c.collection) == (name, collection))


@pytest.fixture
def counter(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter]:
    """Listens on every client built through ``app.storage.mongo.connect`` (the app's too)."""
    listener = Counter(settings.mongo_database)
    client_class = functools.partial(AsyncMongoClient, event_listeners=[listener])
    monkeypatch.setattr(mongo, "AsyncMongoClient", client_class)
    yield listener
    listener.active = False


@pytest.fixture
async def repo(settings: Settings, counter: Counter) -> AsyncIterator[ArtifactRepository]:
    client = mongo.connect(settings.mongo_url or "")
    try:
        repository = ArtifactRepository(client[settings.mongo_database])
        await repository.ensure_indexes()
        yield repository
    finally:
        await client.close()


async def seed(repo: ArtifactRepository, models: Sequence[tuple[str, Sequence[str]]]) -> None:
    """``(repo id, parent repo ids)`` in order, ids from 1."""
    for i, (name, parents) in enumerate(models, start=1):
        await repo.insert(artifact(str(i), name, ingest_id=f"i{i}", parents=parents))


def chain(prefix: str, length: int) -> list[tuple[str, list[str]]]:
    return [(f"{prefix}/m{i}", [f"{prefix}/m{i - 1}"] if i else []) for i in range(length)]


def lattice(levels: int) -> list[tuple[str, list[str]]]:
    return [
        (f"wide/l{k}-{j}", [f"wide/l{k - 1}-{p}" for p in range(WIDTH)] if k else [])
        for k in range(levels)
        for j in range(WIDTH)
    ]


async def walk(
    settings: Settings, counter: Counter, artifact_id: str, direction: str
) -> tuple[dict[str, Any], list[Command]]:
    """A lineage walk on a fresh registry (nothing cached), and the commands it sent; the same
    walk again sends none."""
    async with running_registry(settings, worker=False) as registry:
        counter.commands.clear()
        counter.active = True
        graph = await registry.gql(LINEAGE, id=artifact_id, direction=direction, depth=DEPTH)
        counter.active = False
        cold = list(counter.commands)
        counter.commands.clear()
        counter.active = True
        again = await registry.gql(LINEAGE, id=artifact_id, direction=direction, depth=DEPTH)
        counter.active = False
    assert again == graph
    assert counter.commands == [], "a repeated walk reached the store"
    counter.commands = list(cold)
    return graph["lineage"], cold


def by_id_only(commands: Sequence[Command]) -> bool:
    return all(set(c.filter) == {"_id"} for c in commands if c.name == "find")


@pytest.mark.parametrize("direction", ["UP", "DOWN"])
async def test_lineage_to_depth_20_costs_the_same_round_trips_at_any_width(
    settings: Settings, counter: Counter, repo: ArtifactRepository, direction: str
) -> None:
    narrow, wide = chain("line", CHAIN), lattice(CHAIN)
    await seed(repo, narrow + wide)
    line_end = "1" if direction == "DOWN" else str(CHAIN)
    wide_end = str(CHAIN + 1) if direction == "DOWN" else str(len(narrow) + len(wide))

    line, line_commands = await walk(settings, counter, line_end, direction)
    lattice_graph, lattice_commands = await walk(settings, counter, wide_end, direction)

    sign = -1 if direction == "UP" else 1
    assert len(line["nodes"]) == 1 + DEPTH
    assert len(lattice_graph["nodes"]) == 1 + WIDTH * DEPTH
    assert {n["distance"] for n in lattice_graph["nodes"]} == {sign * d for d in range(DEPTH + 1)}
    assert len(lattice_graph["edges"]) == WIDTH + WIDTH * WIDTH * (DEPTH - 1)
    # 4 times the models per level, 16 times the edges: not one round trip more
    assert len(lattice_commands) == len(line_commands) <= BOUND, lattice_commands
    assert [(c.name, c.collection) for c in lattice_commands] == [
        (c.name, c.collection) for c in line_commands
    ]
    assert counter.count("find", "artifacts") <= 1 + DEPTH
    assert by_id_only(line_commands)
    assert by_id_only(lattice_commands)


async def test_both_directions_cost_one_bound_each(
    settings: Settings, counter: Counter, repo: ArtifactRepository
) -> None:
    await seed(repo, chain("line", 2 * CHAIN))
    graph, commands = await walk(settings, counter, str(CHAIN), "BOTH")
    assert {n["distance"] for n in graph["nodes"]} == set(range(-DEPTH, DEPTH + 1))
    assert len(commands) <= 1 + 2 * (BOUND - 1), commands
    assert by_id_only(commands)


async def test_a_page_reads_parents_and_children_in_one_lookup_each(
    settings: Settings, counter: Counter, repo: ArtifactRepository
) -> None:
    await seed(repo, chain("line", 60))
    async with running_registry(settings, worker=False) as registry:
        await registry.gql(PAGE)  # the first search also warms the search index
        await new_data_version(settings)  # what this process cached is no longer current
        counter.commands.clear()
        counter.active = True
        page = (await registry.gql(PAGE))["artifacts"]["edges"]
        counter.active = False
        cold = list(counter.commands)
        counter.commands.clear()
        counter.active = True
        again = (await registry.gql(PAGE))["artifacts"]["edges"]
        counter.active = False
    assert again == page
    # nothing changed since: the page, its artifacts and their parents all come from the cache
    assert counter.commands == []
    counter.commands = list(cold)
    assert len(page) == 50
    assert page[1]["node"]["parents"] == [{"name": "line/m0", "artifact": {"id": "1"}}]
    assert page[1]["node"]["children"] == [{"id": "3"}]
    # the page, then parents and children: keys then artifacts, each one batch for all 50
    assert counter.count("find", "artifact_keys") == 2, counter.commands
    # the page's ids (by ordinal), its artifacts, the parents' and the children's
    assert counter.count("find", "artifacts") <= 4, counter.commands
    assert by_id_only(counter.commands[1:])


async def test_batched_lookups_ask_by_id_whatever_the_number_of_keys(
    counter: Counter, repo: ArtifactRepository
) -> None:
    await seed(repo, chain("line", 60))
    names = [f"Line/M{i}" for i in range(50)]  # any case finds them
    counter.active = True
    models = await repo.find_models(names)
    children = await repo.find_children(names)
    sources = await repo.find_by_source_keys([f"hf:model:{n}" for n in names])
    counter.active = False
    assert [a.id for a in models] == [str(i) for i in range(1, 51)]
    assert [a.id for a in children] == [str(i) for i in range(2, 52)]
    assert [a.id for a in sources] == [a.id for a in models]
    assert [c.name for c in counter.commands] == ["find"] * 6
    assert by_id_only(counter.commands)
    # nothing to look up asks nothing: an empty $in on nx-27017 reads every artifact
    counter.commands.clear()
    counter.active = True
    assert await repo.find_models([]) == []
    assert await repo.get_many([]) == []
    assert await repo.find_children(["nobody/named"]) == []
    counter.active = False
    assert [c.collection for c in counter.commands] == ["artifact_keys"]


async def test_artifacts_written_straight_into_the_store_are_found_once_the_app_starts(
    settings: Settings, repo: ArtifactRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a bulk tool writes them: no keys until a start adds them, a page at a time."""
    monkeypatch.setattr(repository, "_KEY_PAGE", 2)
    client = mongo.connect(settings.mongo_url or "")
    try:
        docs = [
            to_document(artifact(str(i), name, ingest_id=f"t{i}", parents=parents))
            for i, (name, parents) in enumerate(chain("bulk", 5), start=100)
        ]
        docs[0]["aliases"] = ["hf:model:bulk/old-name"]
        # an id not from the counter: ordinal 0, outside the pages
        docs.append(to_document(artifact("x1", "bulk/side", ingest_id="x", parents=["bulk/m4"])))
        await client[settings.mongo_database]["artifacts"].insert_many(docs)
    finally:
        await client.close()
    async with running_registry(settings, worker=False) as registry:
        family = (await registry.gql(FAMILY, id="101"))["artifact"]
        graph = (await registry.gql(LINEAGE, id="104", direction="UP", depth=DEPTH))["lineage"]
    assert family == {
        "parents": [{"name": "bulk/m0", "artifact": {"id": "100"}}],
        "children": [{"id": "102"}],
    }
    assert [n["name"] for n in graph["nodes"]] == [f"bulk/m{i}" for i in (4, 3, 2, 1, 0)]
    assert [a.id for a in await repo.find_children(["bulk/m4"])] == ["x1"]
    await repo.ensure_indexes()  # the repository's own start sees them keyed too
    found = await repo.find_named("HF:MODEL:bulk/OLD-NAME")
    assert found is not None
    assert found.id == "100"


async def test_what_an_artifact_no_longer_holds_finds_nothing(repo: ArtifactRepository) -> None:
    """Keys are never taken back from a stored artifact; lookups check what they read."""
    await seed(repo, [("acme/base", []), ("acme/other", []), ("acme/tuned", ["acme/base"])])
    tuned = await repo.get("3")
    assert tuned is not None
    moved = replace(tuned, ingest_id="i4", parents=(ParentLink("acme/other", "2", "model_card"),))
    await repo.replace(moved, previous=tuned)
    await repo.add_alias("3", "hf:model:acme/Tuned-Old")

    assert await repo.find_children(["acme/base"]) == []
    assert [a.id for a in await repo.find_children(["acme/OTHER"])] == ["3"]
    named = await repo.find_named("hf:model:acme/tuned-old")
    assert named is not None
    assert named.id == "3"

    assert await repo.delete("3")
    assert await repo.find_children(["acme/other"]) == []
    assert await repo.find_named("hf:model:acme/tuned-old") is None
    assert await repo.find_models(["acme/tuned"]) == []
    assert [a.id for a in await repo.find_models(["acme/base", "acme/other"])] == ["1", "2"]
