from __future__ import annotations

import strawberry

from app.errors import ValidationError
from app.search.entities import DEFAULT_PAGE_SIZE
from schema.context import GraphQLInfo
from schema.errors import ArgumentError
from schema.search.inputs import ArtifactFilter
from schema.search.types import ArtifactConnection


@strawberry.type
class SearchQueries:
    @strawberry.field(
        description=(
            "Artifacts matching every condition of the filter, oldest first: at most `first` "
            "(at most 100) past the cursor `after`."
        )
    )
    async def artifacts(
        self,
        info: GraphQLInfo,
        filter: ArtifactFilter | None = None,  # noqa: A002 - the API's name
        first: int | None = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> ArtifactConnection:
        f = (filter or ArtifactFilter()).to_entity()
        try:
            page = await info.context.services.search.search(f, first=first, after=after)
        except ValidationError as exc:
            raise ArgumentError(exc) from exc
        return ArtifactConnection.from_entity(page, f, after=after)
