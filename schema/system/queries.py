from __future__ import annotations

import strawberry

from schema.context import GraphQLInfo
from schema.system.types import Health


@strawberry.type
class SystemQueries:
    @strawberry.field(description="The state of each backend the registry depends on.")
    async def health(self, info: GraphQLInfo) -> Health:
        return Health.from_entity(await info.context.services.health.check())
