from __future__ import annotations

import strawberry

from schema.context import GraphQLInfo
from schema.cost.types import Cost


@strawberry.type
class CostQueries:
    @strawberry.field(description="Download cost; with dependencies, each counted once.")
    async def cost(
        self,
        info: GraphQLInfo,
        id: strawberry.ID,  # noqa: A002 - the API's name
        *,
        with_dependencies: bool = False,
    ) -> Cost:
        result = await info.context.services.cost.cost(str(id), with_dependencies=with_dependencies)
        return Cost.from_entity(result)
