from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from schema.context import GraphQLInfo
from schema.ingest.types import IngestEvent


@strawberry.type
class IngestSubscriptions:
    @strawberry.subscription(
        description="The job's current state first, then every transition until DONE or FAILED."
    )
    async def ingest_progress(
        self, info: GraphQLInfo, job_id: strawberry.ID
    ) -> AsyncGenerator[IngestEvent, None]:
        async for job in info.context.services.ingest.watch(str(job_id)):
            yield IngestEvent.from_entity(job)
