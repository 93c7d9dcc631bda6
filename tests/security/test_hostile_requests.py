"""What a hostile client sends to /graphql: oversized operations refused before validation
runs (so they cost no more than a small query), anonymous operations refused before
validation, and request bodies that are not GraphQL requests answered 400, never 500."""

from __future__ import annotations

from functools import _lru_cache_wrapper
from typing import Any, cast

import pytest
from strawberry.extensions.parser_cache import _get_parse_cache

from app.settings import Settings
from schema import PARSE_CACHE_SIZE
from schema.bounds import MAX_SAME_KEY, MAX_SELECTED_FIELDS
from schema.guard import cached_validation
from tests.support.registry import Registry, running_registry

ANONYMOUS = {"Authorization": ""}
# 2 KB, under the token limit: 490 copies of a public field
DUPLICATES = "{ " + " ".join(["health { ok }"] * 490) + " }"
# a fragment spread twice at each level doubles the copies of one field
BOMB = (
    "query { ...F0 } "
    + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(12))
    + " fragment F12 on Query { health { ok } }"
)
# the same, under two different response keys at each level: no duplicates, 2^12 fields
FAN_OUT = (
    'query { artifact(id: "1") { ...A0 } } '
    + " ".join(
        f"fragment A{i} on Artifact {{ id children {{ ...A{i + 1} }} "
        f"parents {{ artifact {{ ...A{i + 1} }} }} }}"
        for i in range(12)
    )
    + " fragment A12 on Artifact { id }"
)


async def _post(registry: Registry, body: object, **headers: str) -> tuple[int, dict[str, object]]:
    response = await registry.client.post("/graphql", json=body, headers=headers)
    return response.status_code, response.json()


@pytest.mark.parametrize(
    ("query", "says"),
    [
        (DUPLICATES, f"at most {MAX_SAME_KEY}"),
        (BOMB, f"at most {MAX_SAME_KEY}"),
        (FAN_OUT, f"more than {MAX_SELECTED_FIELDS} fields"),
    ],
    ids=["duplicate fields", "fragment bomb", "fragment fan-out"],
)
async def test_oversized_operations_are_refused_before_validation(
    settings: Settings, query: str, says: str
) -> None:
    async with running_registry(settings, worker=False) as registry:
        validated = cached_validation.cache_info()
        for headers in (ANONYMOUS, {}):  # with and without a token
            status, body = await _post(registry, {"query": query}, **headers)
            assert status == 200
            errors = body["errors"]
            assert isinstance(errors, list)
            assert says in errors[0]["message"], errors
            assert errors[0]["extensions"]["code"] == "BAD_REQUEST"
        after = cached_validation.cache_info()
    assert (after.hits, after.misses) == (validated.hits, validated.misses)


async def test_an_anonymous_private_operation_is_refused_before_validation(
    settings: Settings,
) -> None:
    private = '{ artifact(id: "1") { id } ' + " ".join(["health { ok }"] * MAX_SAME_KEY) + " }"
    async with running_registry(settings, worker=False) as registry:
        validated = cached_validation.cache_info()
        status, body = await _post(registry, {"query": private}, **ANONYMOUS)
        after = cached_validation.cache_info()
        public = await _post(registry, {"query": "{ health { ok } }"}, **ANONYMOUS)
    assert status == 200
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"  # type: ignore[index]
    assert after.misses == validated.misses
    assert public == (200, {"data": {"health": {"ok": True}}})


async def test_repeated_operations_hit_the_parse_and_validation_caches(
    settings: Settings,
) -> None:
    query = '{ artifact(id: "cache-probe") { id name } }'
    parsed = cast("_lru_cache_wrapper[Any]", _get_parse_cache(PARSE_CACHE_SIZE))
    async with running_registry(settings, worker=False) as registry:
        await registry.gql(query)
        parse_before, validate_before = parsed.cache_info(), cached_validation.cache_info()
        for _ in range(5):
            await registry.gql(query)
        parse_after, validate_after = parsed.cache_info(), cached_validation.cache_info()
    assert parse_after.hits - parse_before.hits == 5
    assert parse_after.misses == parse_before.misses
    assert validate_after.hits - validate_before.hits == 5
    assert validate_after.misses == validate_before.misses


@pytest.mark.parametrize(
    "body",
    [
        b'"a bare string"',
        b"null",
        b"42",
        b"[]",
        b'["not an object"]',
        b'{"query": "{ health { ok } }"\xff\xfe}',
        b"[" * 5000 + b"]" * 5000,
        b'{"query": "{ health { ok } }", "variables": ' + b'{"a":' * 5000 + b"1" + b"}" * 5001,
        b'{"query": 42}',
        b'{"query": "{ health { ok } }", "variables": "no"}',
        b"{not json",
    ],
    ids=[
        "string",
        "null",
        "number",
        "empty batch",
        "batch of strings",
        "invalid utf-8",
        "nested 5000 deep",
        "variables nested 5000 deep",
        "query not a string",
        "variables not an object",
        "broken json",
    ],
)
async def test_bodies_that_are_not_graphql_requests_get_400(
    settings: Settings, body: bytes
) -> None:
    async with running_registry(settings, worker=False) as registry:
        response = await registry.client.post(
            "/graphql", content=body, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 400, response.text
