from __future__ import annotations

import strawberry

from app.ingest.errors import IngestJobNotFoundError
from schema.context import GraphQLInfo
from schema.ingest.types import IngestJob


@strawberry.type
class IngestQueries:
    @strawberry.field(description="An ingest job by id, or null if there is none.")
    async def ingest_job(self, info: GraphQLInfo, id: strawberry.ID) -> IngestJob | None:  # noqa: A002 - the API's name
        try:
            job = await info.context.services.ingest.get(str(id))
        except IngestJobNotFoundError:
            return None
        return IngestJob.from_entity(job)
