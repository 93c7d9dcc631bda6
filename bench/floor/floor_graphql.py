"""GraphQL floor: strawberry on Litestar under uvicorn, as the registry serves GraphQL, with
strawberry's parse and validation caches, answering `artifact(id)` with five scalars from a
dict on the registry's event loop.

    uv run python bench/floor/floor_graphql.py --port 8102 [--artifacts 10000]
"""

from __future__ import annotations

import argparse

import strawberry
import uvicorn
from litestar import Litestar
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.litestar import make_graphql_controller

from app.eventloop import run


@strawberry.type
class Artifact:
    id: strawberry.ID
    name: str
    type: str
    license: str | None
    size_bytes: int


def build(count: int) -> Litestar:
    artifacts = {
        str(i): Artifact(
            id=strawberry.ID(str(i)),
            name=f"c{i // 25}-m{i % 25}",
            type="MODEL",
            license="apache-2.0",
            size_bytes=123_456_789,
        )
        for i in range(1, count + 1)
    }

    @strawberry.type
    class Query:
        @strawberry.field
        async def artifact(self, id: strawberry.ID) -> Artifact | None:  # noqa: A002 - the registry's name
            return artifacts.get(str(id))

    schema = strawberry.Schema(query=Query, extensions=[ParserCache, ValidationCache])
    return Litestar([make_graphql_controller(schema, path="/graphql")])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--artifacts", type=int, default=10_000)
    args = parser.parse_args()
    # No access line, as the registry writes none for a request answered 2xx by default.
    config = uvicorn.Config(
        build(args.artifacts), host="127.0.0.1", port=args.port, access_log=False
    )
    run(uvicorn.Server(config).serve())
