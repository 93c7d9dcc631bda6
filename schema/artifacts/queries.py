from __future__ import annotations

import strawberry

from schema.artifacts.types import Artifact
from schema.context import GraphQLInfo


@strawberry.type
class ArtifactQueries:
    @strawberry.field(description="An artifact by id, or null if there is none.")
    async def artifact(self, info: GraphQLInfo, id: strawberry.ID) -> Artifact | None:  # noqa: A002 - the API's name
        found = await info.context.loaders.artifact.load(str(id))
        return None if found is None else Artifact.from_entity(found)
