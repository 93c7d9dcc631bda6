"""The views REST answers from, called on the services directly over a real store: the union
of several filters a page at a time (POST /artifacts), every match of one filter up to a cap
(byName, byRegEx), and the lineage of registered models only (GET .../lineage)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from app.artifacts.repository import ArtifactRepository
from app.kinds import ArtifactType
from app.rating.links import ParentLink
from app.search.entities import ArtifactFilter
from app.settings import Settings
from app.storage import mongo
from tests.support.builders import artifact
from tests.support.registry import running_registry


@pytest.fixture
async def repo(settings: Settings) -> AsyncIterator[ArtifactRepository]:
    client = mongo.connect(settings.mongo_url or "")
    try:
        repo = ArtifactRepository(client[settings.mongo_database])
        await repo.ensure_indexes()
        yield repo
    finally:
        await client.close()


async def test_a_union_of_filters_pages_each_artifact_once_in_order(
    settings: Settings, repo: ArtifactRepository
) -> None:
    for n, name in enumerate(["a", "b", "a", "c", "b"], start=1):
        await repo.insert(artifact(str(n), f"org/m{n}", ingest_id=f"i{n}", name=name))
    a_or_b = [ArtifactFilter(name="a"), ArtifactFilter(name="b")]
    overlapping = [ArtifactFilter(name="a"), ArtifactFilter(types=frozenset({ArtifactType.MODEL}))]
    async with running_registry(settings, worker=False) as registry:
        search = registry.services.search
        first = await search.enumerate(a_or_b, limit=2)
        rest = await search.enumerate(a_or_b, after=first.next_after, limit=2)
        everything = await search.enumerate(overlapping, limit=10)
        nothing = await search.enumerate([], limit=10)
    assert [a.id for a in first.artifacts] == ["1", "2"]
    assert first.next_after == 2
    assert [a.id for a in rest.artifacts] == ["3", "5"]
    assert rest.next_after is None
    assert [a.id for a in everything.artifacts] == ["1", "2", "3", "4", "5"]
    assert everything.next_after is None
    assert nothing.artifacts == ()
    assert nothing.next_after is None


async def test_every_match_reads_past_one_page_up_to_the_cap(
    settings: Settings, repo: ArtifactRepository
) -> None:
    for n in range(1, 121):
        await repo.insert(artifact(str(n), f"org/m{n}", ingest_id=f"i{n}", name="same"))
    await repo.insert(artifact("121", "org/other", ingest_id="i121", name="other"))
    async with running_registry(settings, worker=False) as registry:
        search = registry.services.search
        capped = await search.every(ArtifactFilter(name="same"), most=110)
        uncapped = await search.every(ArtifactFilter(name="same"), most=1000)
        by_regex = await search.every(ArtifactFilter(regex="^oth"), most=1000)
    assert [a.id for a in capped] == [str(n) for n in range(1, 111)]
    assert [a.id for a in uncapped] == [str(n) for n in range(1, 121)]
    assert [a.id for a in by_regex] == ["121"]


async def test_the_registered_lineage_leaves_out_models_only_named(
    settings: Settings, repo: ArtifactRepository
) -> None:
    await repo.insert(artifact("1", "org/base", ingest_id="i1"))
    await repo.insert(artifact("2", "org/tuned", ingest_id="i2", parents=["org/base", "ghost/m"]))
    onnx = artifact("3", "org/tuned-onnx", ingest_id="i3")
    await repo.insert(replace(onnx, parents=(ParentLink("org/tuned", None, "model_card"),)))
    await repo.insert(artifact("4", "org/alone", ingest_id="i4", parents=["ghost/m"]))
    async with running_registry(settings, worker=False) as registry:
        lineage = await registry.services.lineage.registered("2")
        alone = await registry.services.lineage.registered("4")
    assert {(n.artifact.id, n.source) for n in lineage.nodes} == {
        ("1", "config_json"),
        ("2", "config_json"),  # the queried model: its config named its parents
        ("3", "model_card"),
    }
    assert {(e.parent.id, e.child.id, e.relationship, e.source) for e in lineage.edges} == {
        ("1", "2", "base_model", "config_json"),
        ("2", "3", "base_model", "model_card"),
    }
    # No registered link leads to it: the queried model's own source is its config.
    assert [(n.artifact.id, n.source) for n in alone.nodes] == [("4", "config_json")]
    assert alone.edges == ()
