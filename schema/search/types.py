from __future__ import annotations

import strawberry
from strawberry.relay import PageInfo

from app.search.entities import ArtifactFilter as ArtifactFilterEntity
from app.search.entities import Page
from schema.artifacts.types import Artifact
from schema.context import GraphQLInfo


@strawberry.type
class ArtifactEdge:
    cursor: str
    node: Artifact


@strawberry.type(description="A page of artifacts, oldest first.")
class ArtifactConnection:
    filter: strawberry.Private[ArtifactFilterEntity]
    total: strawberry.Private[int | None]
    edges: list[ArtifactEdge]
    page_info: PageInfo

    @strawberry.field(
        description=(
            "Matches in all pages. Free for a regex search; otherwise one more store query, "
            "made only when this field is asked for."
        )
    )
    async def total_count(self, info: GraphQLInfo) -> int:
        if self.total is not None:
            return self.total
        return await info.context.services.search.count(self.filter)

    @classmethod
    def from_entity(
        cls, page: Page, f: ArtifactFilterEntity, *, after: str | None
    ) -> ArtifactConnection:
        return cls(
            filter=f,
            total=page.total,
            edges=[
                ArtifactEdge(cursor=e.cursor, node=Artifact.from_entity(e.artifact))
                for e in page.edges
            ],
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                # Forward-only paging: Relay lets this be "something came before `after`".
                has_previous_page=after is not None,
                start_cursor=page.edges[0].cursor if page.edges else None,
                end_cursor=page.end_cursor,
            ),
        )
