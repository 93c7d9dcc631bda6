"""Reading an artifact again costs the document store nothing while nothing changed, and a
change made through any process is seen by the next request in every other
(``app.freshness``)."""

from __future__ import annotations

from app.artifacts.repository import ArtifactRepository
from app.settings import Settings
from tests.support.builders import artifact
from tests.support.commands import recording
from tests.support.registry import Registry, running_registry

QUERY = "query($id: ID!) { artifact(id: $id) { id name } }"


async def _store(registry: Registry, artifact_id: str) -> None:
    repo = ArtifactRepository(registry.services.artifacts._repo._collection.database)
    await repo.insert(artifact(artifact_id, f"acme/m{artifact_id}", ingest_id=f"i{artifact_id}"))


async def _name(registry: Registry, artifact_id: str) -> str | None:
    found = (await registry.gql(QUERY, id=artifact_id))["artifact"]
    return None if found is None else str(found["name"])


async def test_a_repeated_read_does_not_reach_the_store(settings: Settings) -> None:
    async with running_registry(settings, worker=False) as registry:
        await _store(registry, "1")
        assert await _name(registry, "1") == "m1"
        with recording() as seen:
            names = [await _name(registry, "1") for _ in range(5)]
            rest = [(await registry.client.get("/artifacts/model/1")).status_code for _ in range(5)]
    assert names == ["m1"] * 5
    assert rest == [200] * 5
    assert not [key for key in seen if key[1] == "artifacts"], seen


async def test_a_change_in_one_process_is_read_by_the_next_request_in_another(
    settings: Settings,
) -> None:
    async with (
        running_registry(settings, worker=False) as one,
        running_registry(settings, worker=False) as other,
    ):
        await _store(one, "2")
        await _store(one, "3")
        cached = [await _name(other, "2"), await _name(other, "3"), await _name(other, "4")]
        deleted = await one.client.delete("/artifacts/model/2")
        after_delete = await _name(other, "2")
        await _store(one, "4")
        await one.gql('mutation { deleteArtifact(id: "3") { deletedId } }')
        after_second = [await _name(other, "3"), await _name(other, "4")]
        rest = await other.client.get("/artifacts/model/3")
    assert cached == ["m2", "m3", None]
    assert deleted.status_code == 200
    assert after_delete is None
    assert after_second == [None, "m4"]
    assert rest.status_code == 404


PAGE = "{ artifacts(first: 10) { edges { node { id parents { name artifact { id } } } } } }"


async def _page(registry: Registry) -> list[tuple[str, list[str | None]]]:
    edges = (await registry.gql(PAGE))["artifacts"]["edges"]
    return [
        (
            e["node"]["id"],
            [None if p["artifact"] is None else p["artifact"]["id"] for p in e["node"]["parents"]],
        )
        for e in edges
    ]


async def test_a_repeated_page_and_its_parents_do_not_reach_the_store(settings: Settings) -> None:
    async with running_registry(settings, worker=False) as registry:
        repo = ArtifactRepository(registry.services.artifacts._repo._collection.database)
        await repo.insert(artifact("1", "acme/base", ingest_id="i1"))
        await repo.insert(artifact("2", "acme/tuned", ingest_id="i2", parents=["acme/base"]))
        first = await _page(registry)
        with recording() as seen:
            again = [await _page(registry) for _ in range(3)]
    assert first == [("1", []), ("2", ["1"])]
    assert again == [first] * 3
    assert not [key for key in seen if key[1] in {"artifacts", "artifact_keys"}], seen


async def test_a_page_and_a_parent_lookup_follow_a_delete_in_another_process(
    settings: Settings,
) -> None:
    async with (
        running_registry(settings, worker=False) as one,
        running_registry(settings, worker=False) as other,
    ):
        repo = ArtifactRepository(one.services.artifacts._repo._collection.database)
        await repo.insert(artifact("1", "acme/base", ingest_id="i1"))
        await repo.insert(artifact("2", "acme/tuned", ingest_id="i2", parents=["acme/base"]))
        before = await _page(other)
        deleted = await one.client.delete("/artifacts/model/1")
        after = await _page(other)
    assert before == [("1", []), ("2", ["1"])]
    assert deleted.status_code == 200
    assert after == [("2", [None])]


async def test_with_the_cache_off_every_read_reaches_the_store(settings: Settings) -> None:
    off = settings.model_copy(update={"read_cache_entries": 0})
    async with running_registry(off, worker=False) as registry:
        await _store(registry, "1")
        assert await _name(registry, "1") == "m1"
        await _page(registry)
        with recording() as seen:
            names = [await _name(registry, "1") for _ in range(3)]
            pages = [await _page(registry) for _ in range(3)]
    assert names == ["m1"] * 3
    assert pages == [[("1", [])]] * 3
    # each read by id one find, each page at least its ids and its artifacts
    assert seen[("find", "artifacts")] >= 3 + 3 * 2, seen
