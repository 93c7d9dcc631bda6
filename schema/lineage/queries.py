from __future__ import annotations

import strawberry

from schema.context import GraphQLInfo
from schema.lineage.types import LineageDirection, LineageGraph


@strawberry.type
class LineageQueries:
    @strawberry.field(description="Base models (UP) and fine-tunes (DOWN) to a depth.")
    async def lineage(
        self,
        info: GraphQLInfo,
        id: strawberry.ID,  # noqa: A002 - the API's name
        direction: LineageDirection = LineageDirection.BOTH,
        depth: int = 5,
    ) -> LineageGraph:
        graph = await info.context.services.lineage.graph(str(id), direction, depth)
        return LineageGraph.from_entity(graph)
