"""Search through GraphQL on a real store: exact names, RE2 over names and READMEs, type and
score filters, cursor pagination, validation errors, and catastrophic patterns over 10 000
artifacts."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from app.artifacts.entities import Artifact
from app.artifacts.repository import ArtifactRepository, _to_document
from app.kinds import ArtifactType
from app.rating.entities import Rating
from app.settings import Settings
from app.storage import mongo
from tests.support.builders import artifact
from tests.support.registry import Registry, new_data_version, running_registry

SEARCH = """
query Search($filter: ArtifactFilter, $first: Int, $after: String) {
  artifacts(filter: $filter, first: $first, after: $after) {
    totalCount
    edges { cursor node { id name type } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def make(
    artifact_id: int,
    name: str,
    *,
    readme: str = "# card",
    type_: ArtifactType = ArtifactType.MODEL,
    net_score: float | None = None,
) -> Artifact:
    base = artifact(str(artifact_id), f"org/{name}-{artifact_id}", name=name)
    rating = (
        None
        if net_score is None
        else Rating(net_score, (), "test", "test", weights={}, revisions={})
    )
    return replace(base, type=type_, readme=readme, rating=rating)


@pytest.fixture
async def repo(settings: Settings) -> AsyncIterator[ArtifactRepository]:
    client = mongo.connect(settings.mongo_url or "")
    try:
        yield ArtifactRepository(client[settings.mongo_database])
    finally:
        await client.close()


async def search(registry: Registry, **variables: Any) -> dict[str, Any]:  # noqa: ANN401
    found: dict[str, Any] = (await registry.gql(SEARCH, **variables))["artifacts"]
    return found


def ids(found: dict[str, Any]) -> list[str]:
    return [e["node"]["id"] for e in found["edges"]]


async def test_an_exact_name_finds_every_artifact_with_it(
    settings: Settings, repo: ArtifactRepository
) -> None:
    for n, name in enumerate(["bert", "bert", "bert-large", "Bert", "bert"], start=1):
        await repo.insert(make(n, name))
    async with running_registry(settings, worker=False) as registry:
        found = await search(registry, filter={"name": "bert"})
        none = await search(registry, filter={"name": "ber"})
    assert ids(found) == ["1", "2", "5"]
    assert found["totalCount"] == 3
    assert none == {
        "totalCount": 0,
        "edges": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }


async def test_a_regex_searches_names_and_readmes(
    settings: Settings, repo: ArtifactRepository
) -> None:
    await repo.insert(make(1, "bert-base", readme="# BERT\nMasked language model."))
    await repo.insert(make(2, "tiny-llm", readme="Distilled from a bert teacher."))
    await repo.insert(make(3, "resnet", readme="Image classifier."))
    async with running_registry(settings, worker=False) as registry:
        anywhere = await search(registry, filter={"regex": "bert"})
        in_names = await search(registry, filter={"regex": "^bert"})
        folded = await search(registry, filter={"regex": "(?i)^bert$"})
        per_line = await search(registry, filter={"regex": "(?m)^Masked"})
        both = await search(registry, filter={"regex": "bert", "name": "tiny-llm"})
    assert ids(anywhere) == ["1", "2"]
    assert anywhere["totalCount"] == 2
    assert ids(in_names) == ["1"]
    assert ids(folded) == []  # "# BERT" is not the whole first line: ^ $ span the text
    assert ids(per_line) == ["1"]
    assert ids(both) == ["2"]


async def test_types_and_scores_filter_and_combine(
    settings: Settings, repo: ArtifactRepository
) -> None:
    await repo.insert(make(1, "low", net_score=0.3))
    await repo.insert(make(2, "high", net_score=0.8))
    await repo.insert(make(3, "squad", type_=ArtifactType.DATASET))
    await repo.insert(make(4, "whisper", type_=ArtifactType.CODE))
    await repo.insert(make(5, "unrated"))
    async with running_registry(settings, worker=False) as registry:
        data_or_code = await search(registry, filter={"types": ["DATASET", "CODE"]})
        good = await search(registry, filter={"minNetScore": 0.5})
        any_score = await search(registry, filter={"minNetScore": 0.0})
        good_by_regex = await search(registry, filter={"regex": "card", "minNetScore": 0.5})
        no_models = await search(registry, filter={"types": ["DATASET"], "minNetScore": 0.0})
        everything = await search(registry, filter={"types": []})
    assert ids(data_or_code) == ["3", "4"]
    assert data_or_code["totalCount"] == 2
    assert [e["node"]["type"] for e in data_or_code["edges"]] == ["DATASET", "CODE"]
    assert ids(good) == ["2"]
    assert ids(any_score) == ["1", "2"]  # only rated artifacts have a net score
    assert ids(good_by_regex) == ["2"]
    assert ids(no_models) == []
    assert ids(everything) == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize("regex", [None, "[02468]$"])
async def test_pages_cover_every_match_once_in_order(
    settings: Settings, repo: ArtifactRepository, regex: str | None
) -> None:
    for n in range(1, 24):
        await repo.insert(make(n, f"model-{n}"))
    expected = [str(n) for n in range(1, 24) if regex is None or n % 2 == 0]
    seen: list[str] = []
    after: str | None = None
    async with running_registry(settings, worker=False) as registry:
        default = await search(registry, filter={"regex": regex})
        while True:
            page = await search(registry, filter={"regex": regex}, first=5, after=after)
            assert page["totalCount"] == len(expected)
            seen += ids(page)
            assert len(ids(page)) <= 5
            after = page["pageInfo"]["endCursor"]
            if not page["pageInfo"]["hasNextPage"]:
                break
        past_the_end = await search(registry, filter={"regex": regex}, first=5, after=after)
    assert seen == expected
    assert ids(default) == expected[:20]
    assert default["pageInfo"]["hasNextPage"] is (len(expected) > 20)
    assert ids(past_the_end) == []
    assert past_the_end["pageInfo"] == {"hasNextPage": False, "endCursor": None}


async def test_the_regex_index_follows_inserts_deletes_and_rewrites(
    settings: Settings, repo: ArtifactRepository
) -> None:
    await repo.insert(make(1, "alpha", readme="needle"))
    async with running_registry(settings, worker=False) as registry:
        assert ids(await search(registry, filter={"regex": "needle"})) == ["1"]
        await repo.insert(make(2, "beta", readme="needle"))
        assert ids(await search(registry, filter={"regex": "needle"})) == ["1", "2"]
        await repo.delete("1")
        assert ids(await search(registry, filter={"regex": "needle"})) == ["2"]
        # Rewritten in place behind the index's back (the version moves, as on any write
        # through the services): the page is checked against the store.
        await repo._collection.replace_one(
            {"_id": "2"}, _to_document(make(2, "beta", readme="hay"))
        )
        await new_data_version(settings)
        assert ids(await search(registry, filter={"regex": "needle"})) == []


@pytest.mark.parametrize(
    ("variables", "field", "message"),
    [
        ({"filter": {"regex": "(unclosed"}}, "regex", "missing )"),
        ({"filter": {"regex": "a" * 501}}, "regex", "limit is 500"),
        ({"filter": {"regex": "[\\p{L}\\p{N}]{1000}"}}, "regex", "pattern too large"),
        ({"filter": {"regex": "(?<=a)b"}}, "regex", "invalid perl operator"),
        ({"first": 101}, "first", "between 0 and 100"),
        ({"first": -1}, "first", "between 0 and 100"),
        ({"after": "not-a-cursor"}, "after", "not a cursor"),
        ({"filter": {"minNetScore": 1.5}}, "minNetScore", "within [0, 1]"),
    ],
)
async def test_bad_arguments_are_typed_validation_errors(
    settings: Settings, variables: dict[str, Any], field: str, message: str
) -> None:
    async with running_registry(settings, worker=False) as registry:
        body = await registry.execute(SEARCH, **variables)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "validation", "field": field}
    assert message in error["message"]
    assert error["path"] == ["artifacts"]


# Each pattern with how many of the 10 000 artifacts it matches (None: RE2 refuses it).
CATASTROPHIC = {"(a+)+$": 3333, "(a|aa)*$": 10_000, "(a{1,99999}){1,99999}$": None}


def _readme(n: int) -> str:
    # A few KB of prose, then a long run of a's: ending the README for every third
    # artifact (a match), cut short by "!" for the rest (a backtracking engine's worst case).
    prose = f"Model {n} card. Fine-tuned for classification on the usual data. " * 40
    return prose + "a" * 1000 + ("" if n % 3 == 0 else "!")


async def test_catastrophic_patterns_answer_in_well_under_a_second(
    settings: Settings, repo: ArtifactRepository
) -> None:
    docs = [
        _to_document(replace(artifact(str(n), f"org/model-{n}"), readme=_readme(n)))
        for n in range(1, 10_001)
    ]
    await repo._collection.insert_many(docs)
    async with running_registry(settings, worker=False) as registry:
        # The first regex search loads the index (the one cost that grows with the store).
        await search(registry, filter={"regex": "warm-up"}, first=1)
        timings: dict[str, float] = {}
        for pattern, total in CATASTROPHIC.items():
            started = time.perf_counter()
            body = await registry.execute(SEARCH, filter={"regex": pattern})
            timings[pattern] = time.perf_counter() - started
            if total is None:  # RE2 refuses counts over 1000, at once
                assert body["errors"][0]["extensions"]["code"] == "validation"
            else:
                found = body["data"]["artifacts"]
                assert found["totalCount"] == total  # (a|aa)*$ matches "" at every end
                assert len(found["edges"]) == 20
    assert all(t < 1.0 for t in timings.values()), timings
